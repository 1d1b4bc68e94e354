// The post_hook (issue 9 §2, issue 16 §6-7): whether a run calls it, and what it is given.
// Hostnames are data, never pasted into the command line: the re-signed schools come on the
// hook's standard input and in a file, one per line, however many there are (10,000 names of
// 60 characters are 610 KB: far over what one environment string or argument may hold), and
// the same for a script named as the hook (`post_hook = /usr/local/sbin/push-leases`) as for a
// command line. Only short values go in the environment.
import { ExitCode } from "../errors.js";
import { byteOrder, parseHostname, quote } from "./domain.js";
import { schoolChanged, type RunReport } from "./report.js";

/** What the hook is given: the hostnames, one per line, and its short environment variables. */
export interface HookCall {
  /** The re-signed schools, in byte order: on standard input and in LEASEGEN_CHANGED_SCHOOLS_FILE. */
  readonly changed: readonly string[];
  /** The schools whose files were removed, in byte order: in LEASEGEN_REMOVED_SCHOOLS_FILE. */
  readonly removed: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** The `$0` of the hook's shell: what `sh -c` names it in its messages. */
export const HOOK_NAME = "inventario-leasegen-hook";

/** The variables naming the two files of hostnames (made for each call, removed after it). */
export const CHANGED_FILE_VARIABLE = "LEASEGEN_CHANGED_SCHOOLS_FILE";
export const REMOVED_FILE_VARIABLE = "LEASEGEN_REMOVED_SCHOOLS_FILE";

/**
/**
 * What the hook gets after a run that changed something under leases_dir (a school file
 * rewritten, laptops added to a held school, a school removed; the stolen lists rewritten);
 * undefined after a run that changed nothing. A school regenerated with every lease kept has the
 * same file: there is nothing to push.
 */
export function postHookCall(report: RunReport, leasesDir: string): HookCall | undefined {
  const changed = report.schools.flatMap((school) => (schoolChanged(school) ? [school.hostname] : [])).sort(byteOrder);
  const removed = [...report.removedSchools].sort(byteOrder);
  const stolenChanged = report.stolenChanged === true;
  if (changed.length === 0 && removed.length === 0 && !stolenChanged) return undefined;
  return {
    changed,
    removed,
    env: {
      LEASEGEN_LEASES_DIR: leasesDir,
      LEASEGEN_CHANGED_COUNT: String(changed.length),
      LEASEGEN_REMOVED_COUNT: String(removed.length),
      LEASEGEN_STOLEN_CHANGED: stolenChanged ? "1" : "0",
    },
  };
}

/**
 * The names one per line, each ended by LF (`while IFS= read -r school` reads them whole). A
 * hostname never holds a line break (parseHostname refuses control characters), so a line is
 * always one whole name; a name that could break that is refused rather than split.
 */
export function nameLines(names: readonly string[]): string {
  for (const name of names) {
    const hostname = parseHostname(name);
    if (!hostname.ok) throw new Error(`cannot give the hook ${quote(name)} as one line: ${hostname.reason}`);
  }
  return names.map((name) => `${name}\n`).join("");
}

/**
 * Before issue 16 the hook had the hostnames as its arguments and in LEASEGEN_CHANGED_SCHOOLS /
 * LEASEGEN_REMOVED_SCHOOLS. A command line still written that way would now see no name and push
 * nothing without a word: it is refused when the configuration is read, saying what to write.
 */
export function obsoleteHookUse(command: string): string | undefined {
  const uses: [RegExp, string][] = [
    [/\$\{?[@*]/, '"$@"'],
    [/\bfor\s+\w+\s*(;|\s)\s*do\b/, "for NAME; do (the arguments)"],
    [/\bLEASEGEN_(CHANGED|REMOVED)_SCHOOLS(?!_FILE)\b/, "LEASEGEN_CHANGED_SCHOOLS or LEASEGEN_REMOVED_SCHOOLS"],
  ];
  const found = uses.find(([pattern]) => pattern.test(command));
  if (found === undefined) return undefined;
  return `post_hook uses ${found[1]}, which no longer holds the hostnames: the hook reads the re-signed schools on its standard input, one per line (while IFS= read -r school; do …; done), or from the file named by $${CHANGED_FILE_VARIABLE} (removed ones: $${REMOVED_FILE_VARIABLE})`;
}

/** A failed hook makes a good run's status 3; a worse status stays. Leases are never undone. */
export function exitCodeAfterFailedHook(code: ExitCode): ExitCode {
  return code === ExitCode.Ok ? ExitCode.SomeFailed : code;
}
