// The end of every run but a --dry-run, once its exit status is known: the run record in
// state_dir, then the metrics file if `metrics_file` is set. Neither can fail the run or change
// what it signed: a damaged record is replaced by a fresh one, and a file that cannot be written
// is a warning (on stderr, so that cron mails it). And its start, in the metrics file only.
import type { Config } from "../core/config.js";
import { metricFamilies } from "../core/metrics.js";
import { EMPTY_RUN_RECORD, nextRunRecord, type FinishedRun, type RunRecord } from "../core/run-record.js";
import { describe } from "../errors.js";
import { readDeploymentStatus } from "../io/deployment-reader.js";
import type { Log } from "../io/log.js";
import { markRunStarted, writeMetricsFile } from "../io/metrics-file.js";
import type { StateStore } from "../io/state-store.js";

export async function recordRun(config: Config, state: StateStore, log: Log, run: FinishedRun): Promise<void> {
  const record = nextRunRecord(await previousRecord(state, log), run);
  try {
    await state.writeRunRecord(record);
  } catch (error) {
    log.warn({}, `warning: cannot write the run record ${state.runRecordFile}: ${describe(error)}`, true);
  }
  if (config.metricsFile !== undefined) await writeMetrics(config, config.metricsFile, log, record, run.finishedAt);
}

async function previousRecord(state: StateStore, log: Log): Promise<RunRecord> {
  try {
    return (await state.readRunRecord()) ?? EMPTY_RUN_RECORD;
  } catch (error) {
    log.warn({}, `warning: ${describe(error)}; starting a fresh run record`, true);
    return EMPTY_RUN_RECORD;
  }
}

async function writeMetrics(config: Config, path: string, log: Log, record: RunRecord, now: Date): Promise<void> {
  try {
    const status = await readDeploymentStatus(config, now, { record });
    await writeMetricsFile(path, metricFamilies(status));
  } catch (error) {
    log.warn({}, `warning: cannot write metrics_file ${path}: ${describe(error)}`, true);
  }
}

/**
 * When a run starts, the metrics file says so (for an alert on a run that hangs). A failure is
 * only logged: the run's end writes the file again and warns on stderr then.
 */
export async function recordRunStart(config: Config, log: Log, startedAt: Date): Promise<void> {
  if (config.metricsFile === undefined) return;
  try {
    await markRunStarted(config.metricsFile, startedAt);
  } catch (error) {
    log.warn({}, `warning: cannot write metrics_file ${config.metricsFile}: ${describe(error)}`);
  }
}
