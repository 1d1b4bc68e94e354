// What belongs under leases_dir (SPEC §4): school files in by-school/, two-character bucket
// directories in by-laptop/, each holding the laptop files whose serial ends in its name.
// Anything else is a problem: a temporary file an interrupted write left (core/temporary-file.ts),
// or a stray entry. Symbolic links are never followed: a lease file is a regular file the run wrote.
import { parseHostname, parseSerial, quote, type Hostname, type Serial } from "./domain.js";
import type { LeaseProblem } from "./lease-check.js";
import { schoolTemporaryTarget, temporaryFileTarget, type SchoolDirectory } from "./temporary-file.js";

export type EntryType = "file" | "directory" | "symlink" | "other";

export interface TreeEntry {
  readonly name: string;
  readonly type: EntryType;
}

const BUCKET = /^[A-Z0-9]{2}$/;

const temporary: LeaseProblem = { kind: "temporary-file", what: "a temporary file left by an interrupted write" };
const stray = (what: string): LeaseProblem => ({ kind: "stray-file", what });

/** A temporary file whose target name `isTarget` accepts. */
function isTemporary(name: string, isTarget: (target: string) => boolean): boolean {
  const target = temporaryFileTarget(name);
  return target !== undefined && isTarget(target);
}

function notRegular(entry: TreeEntry, expected: string): LeaseProblem | undefined {
  if (entry.type === "symlink") return stray(`a symbolic link where ${expected} should be: not followed`);
  if (entry.type === "directory") return stray(`a directory where ${expected} should be`);
  if (entry.type === "other") return stray(`not a regular file: ${expected} expected`);
  return undefined;
}

/** An entry of by-school/: a school's file, unless it is a temporary file (never a school's, see temporary-file.ts). */
export function classifySchoolEntry(entry: TreeEntry, directory: SchoolDirectory): { hostname: Hostname } | LeaseProblem {
  const hostname = parseHostname(entry.name);
  const target = entry.type === "file" ? schoolTemporaryTarget(entry.name, directory) : undefined;
  // Its school's forced run sweeps it.
  if (target !== undefined) return parseHostname(target).ok ? { ...temporary, schools: [target] } : temporary;
  if (!hostname.ok) return stray(`not a school file: ${hostname.reason}`);
  return notRegular(entry, "a school file") ?? { hostname: hostname.value };
}

/** An entry of by-laptop/: a bucket directory. */
export function classifyBucket(entry: TreeEntry): { bucket: string } | LeaseProblem {
  if (entry.type === "file" && isTemporary(entry.name, () => true)) return temporary;
  if (!BUCKET.test(entry.name)) return stray(`not a by-laptop bucket (two characters A-Z 0-9): ${quote(entry.name)}`);
  if (entry.type !== "directory") return notRegular(entry, "a bucket directory") ?? stray("a file where a bucket directory should be");
  return { bucket: entry.name };
}

/** An entry of by-laptop/<bucket>/: a laptop file whose serial ends in the bucket's name. */
export function classifyLaptopEntry(bucket: string, entry: TreeEntry): { serial: Serial } | LeaseProblem {
  if (entry.type === "file" && isTemporary(entry.name, (base) => parseSerial(base).ok)) return temporary;
  const serial = parseSerial(entry.name);
  if (!serial.ok) return stray(`not a laptop file: ${serial.reason}`);
  const wrong = notRegular(entry, "a laptop file");
  if (wrong) return wrong;
  if (serial.value.slice(-2) !== bucket)
    return { kind: "wrong-bucket", what: `in the wrong bucket: it belongs in by-laptop/${serial.value.slice(-2)}/` };
  return { serial: serial.value };
}

/** An entry of leases_dir itself: only temporary files of the stolen lists are a problem there. */
export function checkRootEntry(entry: TreeEntry): LeaseProblem | undefined {
  const stolenList = (base: string): boolean => base === "stolen.csv" || base === "stolen.list";
  return entry.type === "file" && isTemporary(entry.name, stolenList) ? temporary : undefined;
}
