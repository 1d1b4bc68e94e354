// OLPC's canonical JSON for a school's leases (SPEC §4): `[1,{"<SN>":"<lease>",…}]`, keys in
// byte order, no whitespace, no trailing newline, strings as raw bytes with only `"` and `\`
// escaped. The laptop's activation code scans these bytes directly, so JSON.stringify (which
// escapes the lease's LF as `\n`) must not be used.
import { byteOrder } from "./domain.js";

export class CanonicalJsonError extends Error {}

const escape = (text: string): string => text.replace(/[\\"]/g, (c) => `\\${c}`);

/** The bytes of a by-school file for the given serial → lease text map. */
export function schoolFileText(leases: ReadonlyMap<string, string>): string {
  const keys = [...leases.keys()].sort(byteOrder);
  const members = keys.map((key) => `"${escape(key)}":"${escape(leases.get(key) as string)}"`);
  return `[1,{${members.join(",")}}]`;
}

/**
 * Reads a by-school file back into its serial → lease text map. Only the subset this program
 * writes is accepted: version 1, an object of strings.
 */
export function readSchoolFile(text: string): Map<string, string> {
  const fail = (why: string): never => {
    throw new CanonicalJsonError(`not a by-school lease file: ${why}`);
  };
  if (!text.startsWith("[1,{") || !text.endsWith("}]")) fail("it must start with [1,{ and end with }]");
  const leases = new Map<string, string>();
  let at = 4;
  const end = text.length - 2;
  const readString = (): string => {
    if (text[at] !== '"') fail(`expected a string at byte ${at}`);
    let value = "";
    for (let from = at + 1; ; ) {
      // Copy up to the next quote or backslash in one slice: leases contain neither.
      const quote = text.indexOf('"', from);
      const backslash = text.indexOf("\\", from);
      if (quote === -1 || quote >= end) fail("unterminated string");
      if (backslash !== -1 && backslash < quote) {
        value += text.slice(from, backslash) + text.charAt(backslash + 1);
        from = backslash + 2;
        continue;
      }
      value += text.slice(from, quote);
      at = quote + 1;
      return value;
    }
  };
  while (at < end) {
    if (leases.size > 0) {
      if (text[at] !== ",") fail(`expected , at byte ${at}`);
      at += 1;
    }
    const key = readString();
    if (text[at] !== ":") fail(`expected : at byte ${at}`);
    at += 1;
    leases.set(key, readString());
  }
  return leases;
}

/**
 * Reads a by-school file that must be canonical: exactly the bytes schoolFileText would write
 * for what it holds (keys in byte order and not repeated, only `"` and `\` escaped).
 */
export function readCanonicalSchoolFile(text: string): Map<string, string> {
  const leases = readSchoolFile(text);
  if (schoolFileText(leases) !== text) {
    throw new CanonicalJsonError("not canonical JSON: keys out of byte order or repeated, or characters escaped that need not be");
  }
  return leases;
}
