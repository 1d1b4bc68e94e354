// The Prometheus text-format file of `metrics_file`, replaced atomically at the end of each run
// for node_exporter's textfile collector. prom-client formats it, with a registry of its own
// (not its global one, and none of its default process metrics). It is loaded only when a
// metrics file is written: bundled with the rest, its 174 KB would add ~10 ms to every start.
import type { MetricFamily } from "../core/metrics.js";
import { replaceStateFile } from "./state-file.js";

export async function metricsText(families: readonly MetricFamily[]): Promise<string> {
  const { Gauge, Registry } = await import("prom-client");
  const registry = new Registry();
  for (const family of families) {
    if (family.samples.length === 0) continue;
    const labelNames = [...new Set(family.samples.flatMap((sample) => Object.keys(sample.labels ?? {})))];
    const gauge = new Gauge({ name: family.name, help: family.help, labelNames, registers: [registry] });
    for (const sample of family.samples) {
      if (sample.labels) gauge.set(sample.labels, sample.value);
      else gauge.set(sample.value);
    }
  }
  return registry.metrics();
}

/** The file's directory must exist (node_exporter's collector directory): it is not created. */
export async function writeMetricsFile(path: string, families: readonly MetricFamily[]): Promise<void> {
  await replaceStateFile(path, await metricsText(families));
}
