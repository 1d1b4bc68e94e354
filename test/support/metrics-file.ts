// Reads a metrics file back with a real Prometheus text-format parser, and checks what that
// lenient parser lets through: names, one HELP and TYPE gauge per family, numeric values.
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";

/** family name → its samples, as `{labels} → value`, e.g. `{"hostname":"a"}` → 123. */
export type ParsedMetrics = Map<string, Map<string, number>>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

export function parseMetrics(text: string): ParsedMetrics {
  const families = parsePrometheusTextFormat(text);
  const metrics: ParsedMetrics = new Map();
  for (const family of families) {
    assert.match(family.name, NAME);
    assert.ok(family.help.length > 0, `${family.name} has HELP`);
    assert.equal(family.type, "GAUGE", `${family.name} is a gauge`);
    assert.ok(!metrics.has(family.name), `${family.name} once`);
    const samples = new Map<string, number>();
    for (const sample of family.metrics) {
      const value = Number(sample.value);
      assert.ok(sample.value !== "" && Number.isFinite(value), `${family.name}: ${sample.value} is a number`);
      samples.set(JSON.stringify(sample.labels ?? {}), value);
    }
    metrics.set(family.name, samples);
  }
  assert.equal(families.length, (text.match(/^# TYPE /gm) ?? []).length, "every TYPE line parsed");
  return metrics;
}

/** The value of an unlabelled gauge, or of the sample with these labels. */
export function metricValue(metrics: ParsedMetrics, name: string, labels: Record<string, string> = {}): number | undefined {
  return metrics.get(name)?.get(JSON.stringify(labels));
}
