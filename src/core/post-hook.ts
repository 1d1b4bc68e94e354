// The post_hook (issue 9 §2): whether a run calls it, and what it is given. Hostnames are passed
// as data (arguments and environment), never pasted into the command line.
import { ExitCode } from "../errors.js";
import { byteOrder } from "./domain.js";
import type { RunReport } from "./report.js";

/** The hook's arguments (after `sh -c COMMAND NAME`) and the variables it gets. */
export interface HookCall {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The `$0` of the hook's shell: what `sh -c` names it in its messages. */
export const HOOK_NAME = "inventario-leasegen-hook";

/**
 * What the hook gets after a run that changed something under leases_dir (a school file
 * rewritten or removed, the stolen lists rewritten); undefined after a run that changed nothing.
 * A school regenerated with every lease kept has the same file: there is nothing to push.
 */
export function postHookCall(report: RunReport, leasesDir: string): HookCall | undefined {
  const changed = report.schools
    .flatMap((school) => (school.status === "regenerated" && school.schoolFileWritten ? [school.hostname] : []))
    .sort(byteOrder);
  const removed = [...report.removedSchools].sort(byteOrder);
  const stolenChanged = report.stolenChanged === true;
  if (changed.length === 0 && removed.length === 0 && !stolenChanged) return undefined;
  return {
    args: changed,
    env: {
      LEASEGEN_LEASES_DIR: leasesDir,
      LEASEGEN_CHANGED_SCHOOLS: changed.join(" "),
      LEASEGEN_REMOVED_SCHOOLS: removed.join(" "),
      LEASEGEN_STOLEN_CHANGED: stolenChanged ? "1" : "0",
    },
  };
}

/** A failed hook makes a good run's status 3; a worse status stays. Leases are never undone. */
export function exitCodeAfterFailedHook(code: ExitCode): ExitCode {
  return code === ExitCode.Ok ? ExitCode.SomeFailed : code;
}
