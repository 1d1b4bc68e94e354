// What each by-laptop file must hold (issue 11 §1): the distinct lease lines of every school file
// that lists its serial, sorted; with one school, exactly that school's value for it. Schools are
// looked at one at a time and none is kept in memory: a laptop file that matches its first school
// byte for byte costs one map entry, and only the others keep their lines until the end, when
// every school has been seen.
import type { Hostname, Serial } from "./domain.js";
import { serialLeaseText, splitLeaseLines } from "./lease.js";
import type { LeaseProblem } from "./lease-check.js";

interface UnsettledFile {
  /** The laptop file's bytes, as first read. */
  readonly text: string;
  readonly schools: Hostname[];
  /** The distinct lease lines of those schools. */
  readonly lines: Set<string>;
}

export class LaptopFileLedger {
  private readonly firstSchool = new Map<Serial, Hostname>();
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
   * One school's value for `serial`, and the serial's laptop file as read now (undefined when
   * there is none). A missing file is a problem at once; a differing one only once every school
   * that lists the serial has been seen (see `finish`).
   */
  see(hostname: Hostname, serial: Serial, value: string, file: string | undefined): LeaseProblem | undefined {
    const first = this.firstSchool.get(serial);
    if (first === undefined) this.firstSchool.set(serial, hostname);
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
      entry = { text: file, schools: first === undefined ? [] : [first], lines: new Set(lines) };
      this.unsettled.set(serial, entry);
    }
    entry.schools.push(hostname);
    for (const line of splitLeaseLines(value)) entry.lines.add(line);
    return undefined;
  }

  /** The laptop files that are not what the schools listing their serial say, once all were seen. */
  finish(): { serial: Serial; problem: LeaseProblem }[] {
    const problems: { serial: Serial; problem: LeaseProblem }[] = [];
    for (const [serial, entry] of this.unsettled) {
      const expected = serialLeaseText([...entry.lines]);
      if (entry.schools.length > 1 && entry.text === expected) continue;
      problems.push({ serial, problem: { kind: "laptop-file-differs", what: describeDifference(entry, expected) } });
    }
    this.unsettled.clear();
    return problems;
  }
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
