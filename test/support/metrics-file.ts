// Reads a metrics file back with a real Prometheus text-format parser, and checks what that
// lenient parser lets through: names, one HELP and TYPE gauge per family, numeric values. Sets a
// deployment's metrics_file, and has promtool check one.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { runCommand, type Deployment } from "./harness.js";

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

export interface MetricsFiles {
  /** The metrics_file. */
  readonly path: string;
  /** Where the post_hook copies it while a run that changed something is on (with `duringRun`). */
  readonly duringRun: string;
}

/**
 * Sets metrics_file to a file in a textfile_collector/ directory of the deployment; with
 * `duringRun`, also a post_hook that copies it (the hook runs before the run's end rewrites it).
 */
export async function useMetricsFile(deployment: Deployment, options: { duringRun?: boolean } = {}): Promise<MetricsFiles> {
  const dir = join(deployment.dir, "textfile_collector");
  await mkdir(dir, { recursive: true });
  const files = { path: join(dir, "inventario-leasegen.prom"), duringRun: join(deployment.dir, "during-run.prom") };
  await deployment.writeConfig({
    metrics_file: files.path,
    ...(options.duringRun ? { post_hook: `cp ${files.path} ${files.duringRun}` } : {}),
  });
  return files;
}

/** `promtool check metrics` on a file: exit 0 and nothing said, or the test fails with what it said. */
export async function promtoolCheckMetrics(path: string): Promise<void> {
  // Through sh, which feeds the file on stdin; without promtool, sh says "not found" (exit 127).
  const result = await runCommand("sh", ["-c", 'promtool check metrics < "$1"', "sh", path]);
  assert.equal(result.code, 0, `promtool check metrics ${path} (make check installs promtool): ${result.stdout}${result.stderr}`);
}
