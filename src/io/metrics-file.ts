// The Prometheus text-format file of `metrics_file`, replaced atomically at the end of each run
// (and at its start, to say a run is on) for node_exporter's textfile collector. prom-client formats it, with a registry of its own
// (not its global one, and none of its default process metrics). It is loaded only when a
// metrics file is written: bundled with the rest, its 174 KB would add ~10 ms to every start.
import { readFile } from "node:fs/promises";
import { RUN_STARTED, runStartedFamily, withFamilyReplaced, type MetricFamily } from "../core/metrics.js";
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

/**
 * At a run's start: the file as the last run left it, plus when this run started (cheap: no
 * lease file is read). The run's end replaces the whole file without it.
 */
export async function markRunStarted(path: string, startedAt: Date): Promise<void> {
  const previous = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "";
    throw error;
  });
  await replaceStateFile(path, withFamilyReplaced(previous, RUN_STARTED, await metricsText([runStartedFamily(startedAt)])));
}
