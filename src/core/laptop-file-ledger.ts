// What each by-laptop file must hold (issue 11 §1): the distinct lease lines of every school file
// that lists its serial, sorted; with one school, exactly that school's value for it. Schools are
// looked at one at a time and none is kept in memory: a laptop file that matches its first school
// byte for byte costs one map entry, and only the others keep their lines until the end, when
// every school has been seen.
// A laptop file that holds only some of those lines, in any order, cannot lock or unlock a
// laptop when its serial has one UUID: each line it holds is one a school file holds (checked
// there) and the laptop uses the one that verifies. That is what the Ruby program left for a
// serial several schools list (each school's run wrote the file, the last one won): a notice,
// which forcing any one of those schools puts right (issue 16 §15).
import { byteOrder, type Hostname, type Serial } from "./domain.js";
import { serialLeaseText, splitLeaseLines } from "./lease.js";
import type { LeaseProblem } from "./lease-check.js";

interface UnsettledFile {
  /** The laptop file's bytes, as first read. */
  readonly text: string;
  readonly schools: Hostname[];
  /** The distinct lease lines of those schools. */
  readonly lines: Set<string>;
  /** The UUIDs those schools' records give the serial (none recorded: signed by the Ruby program). */
  readonly uuids: Set<string>;
  /** Whether a school's value holds several lines: the serial has several UUIDs. */
  severalLines: boolean;
}

export class LaptopFileLedger {
  private readonly firstSchool = new Map<Serial, Hostname>();
  /** The UUIDs the first school's record gives a serial, if any. */
  private readonly firstUuids = new Map<Serial, readonly string[]>();
  private readonly unsettled = new Map<Serial, UnsettledFile>();

  /** Whether some school seen so far lists `serial`. */
  has(serial: Serial): boolean {
    return this.firstSchool.has(serial);
  }

  get size(): number {
    return this.firstSchool.size;
  }

  /** A school lists `serial`, whose laptop file could not be read (a problem already told). */
  listedUnread(hostname: Hostname, serial: Serial): void {
    if (!this.firstSchool.has(serial)) this.firstSchool.set(serial, hostname);
  }

  /**
   * One school's value for `serial`, the UUIDs its record gives the serial (none when it has no
   * record), and the serial's laptop file as read now (undefined when there is none). A missing
   * file is a problem at once; a differing one only once every school that lists the serial has
   * been seen (see `finish`).
   */
  see(
    hostname: Hostname,
    serial: Serial,
    value: string,
    file: string | undefined,
    uuids: readonly string[] = [],
  ): LeaseProblem | undefined {
    const first = this.firstSchool.get(serial);
    if (first === undefined) {
      this.firstSchool.set(serial, hostname);
      if (uuids.length > 0) this.firstUuids.set(serial, uuids);
    }
    if (file === undefined) {
      return first === undefined
        ? { kind: "missing-laptop-file", what: `no by-laptop file, though by-school/${hostname} lists it` }
        : undefined;
    }
    let entry = this.unsettled.get(serial);
    if (entry === undefined) {
      if (first === undefined && file === value) return undefined;
      // A later school: the first one matched the file exactly, so its lines are the file's.
      const lines = first === undefined ? [] : splitLeaseLines(file);
      const firstUuids = first === undefined ? [] : (this.firstUuids.get(serial) ?? []);
      const schools = first === undefined ? [] : [first];
      entry = { text: file, schools, lines: new Set(lines), uuids: new Set(firstUuids), severalLines: lines.length > 1 };
      this.unsettled.set(serial, entry);
    }
    entry.schools.push(hostname);
    const lines = splitLeaseLines(value);
    for (const line of lines) entry.lines.add(line);
    for (const uuid of uuids) entry.uuids.add(uuid);
    if (lines.length > 1) entry.severalLines = true;
    return undefined;
  }

  /** The laptop files that are not what the schools listing their serial say, once all were seen. */
  finish(): { serial: Serial; problem: LeaseProblem }[] {
    const problems: { serial: Serial; problem: LeaseProblem }[] = [];
    for (const [serial, entry] of this.unsettled) {
      const expected = serialLeaseText([...entry.lines]);
      if (entry.schools.length > 1 && entry.text === expected) continue;
      const what = describeDifference(entry, expected);
      problems.push({ serial, problem: isHarmless(entry) ? canonicalNotice(entry, what) : { kind: "laptop-file-differs", what } });
    }
    this.unsettled.clear();
    this.firstUuids.clear();
    return problems;
  }
}

/**
 * Whether a differing laptop file can neither lock nor unlock a laptop: it holds lease lines,
 * each one a school file holds for the serial, and either all of them (only their order or
 * repetition differs) or the serial has one UUID (the records give at most one, and no school
 * holds several lines for it): with several, a missing line may be the only one a laptop can use.
 */
function isHarmless(entry: UnsettledFile): boolean {
  const lines = new Set(splitLeaseLines(entry.text));
  if (lines.size === 0 || ![...lines].every((line) => entry.lines.has(line))) return false;
  const oneUuid = entry.uuids.size <= 1 && !entry.severalLines;
  return lines.size === entry.lines.size || oneUuid;
}

function canonicalNotice(entry: UnsettledFile, what: string): LeaseProblem {
  const schools = [...entry.schools].sort(byteOrder);
  return {
    kind: "laptop-file-not-canonical",
    what: `${what}; every line it holds is one a school file holds for it, so no laptop is locked or unlocked by it`,
    schools: schools.slice(0, 1),
  };
}

function describeDifference(entry: UnsettledFile, expected: string): string {
  const fileLines = new Set(splitLeaseLines(entry.text));
  const expectedLines = splitLeaseLines(expected);
  const missing = expectedLines.filter((line) => !fileLines.has(line)).length;
  const extra = [...fileLines].filter((line) => !entry.lines.has(line)).length;
  const detail =
    missing === 0 && extra === 0
      ? "the same lines, but not sorted and distinct"
      : `${missing} of ${expectedLines.length} expected lease line(s) missing, ${extra} line(s) no school file holds`;
  const schools = entry.schools.map((hostname) => `by-school/${hostname}`).join(", ");
  return entry.schools.length === 1
    ? `differs from its lease in ${schools} (${detail})`
    : `is not the sorted distinct lease lines of the ${entry.schools.length} school files that list it, ${schools} (${detail})`;
}
