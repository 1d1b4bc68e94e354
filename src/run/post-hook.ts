// After a run that changed leases_dir, the configured post_hook pushes the changes on (to the
// school servers, say). It runs while the run still holds the lock, so the next cron run cannot
// overlap it. Its failure is reported, never undone: the leases stay as they were written.
import type { Config } from "../core/config.js";
import { quote } from "../core/domain.js";
import { postHookCall } from "../core/post-hook.js";
import type { RunReport } from "../core/report.js";
import type { Log } from "../io/log.js";
import { runHook } from "../io/post-hook.js";

/**
 * Runs post_hook if the run changed anything; resolves to whether it failed. `stop` is the run's
 * interruption: it stops the hook with everything it started.
 */
export async function runPostHook(report: RunReport, config: Config, log: Log, stop?: AbortSignal): Promise<boolean> {
  const call = config.postHook === undefined ? undefined : postHookCall(report, config.leasesDir);
  if (config.postHook === undefined || call === undefined) return false;
  const started = performance.now();
  const options = { cwd: config.leasesDir, timeoutMs: config.postHookTimeoutSeconds * 1000, scratchParent: config.stateDir, stop };
  const result = await runHook(config.postHook, call, options);
  const said = { action: "post_hook" };
  const fields = {
    changedSchools: call.changed.length,
    removedSchools: call.removed.length,
    stdout: result.stdout,
    stderr: result.stderr,
    outputDropped: result.dropped,
    ms: Math.round(performance.now() - started),
  };
  if (result.failure === undefined) {
    log.info(fields, "post_hook done", said);
    return false;
  }
  const lastLine = result.stderr.trimEnd().split("\n").pop() ?? "";
  log.error(fields, `post_hook ${result.failure}${lastLine === "" ? "" : `: ${quote(lastLine)}`} (its output is in the log)`, said);
  return true;
}
