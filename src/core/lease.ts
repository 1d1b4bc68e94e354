// The activation lease line (SPEC §3), checked against bios-crypto's own output in the tests:
//   act01: <SN> K <EXPIRY> sig01: sha256 <KEYID> <SIG>\n
import type { Expiry, Laptop, Serial } from "./domain.js";

/** The disposition code of an activation lease. */
const ACTIVATE = "K";

/** The exact bytes the signature covers: `<SN>:<UUID>:K:<EXPIRY>`, no newline. */
export function signedMessage(laptop: Laptop, expiry: Expiry): string {
  return `${laptop.serial}:${laptop.uuid}:${ACTIVATE}:${expiry}`;
}

/** One lease line, LF included. `keyId` and `signature` are lower-case hex. */
export function leaseLine(serial: Serial, expiry: Expiry, keyId: string, signature: string): string {
  return `act01: ${serial} ${ACTIVATE} ${expiry} sig01: sha256 ${keyId} ${signature}\n`;
}

const LINE = /^act01: ([A-Z0-9]{11}) K (\d{8}T\d{6}Z) sig01: sha256 ([0-9a-f]{64}) ([0-9a-f]{512})\n$/;

/** The fields of one lease line, as written in it (the expiry's digits are not yet a date). */
export interface LeaseLineFields {
  readonly serial: Serial;
  readonly expiry: string;
  readonly keyId: string;
  readonly signature: string;
}

/** The fields of `text` if it is exactly one well-formed act01/sig01 lease line, LF included. */
export function parseLeaseLine(text: string): LeaseLineFields | undefined {
  const m = LINE.exec(text);
  return m === null ? undefined : { serial: m[1] as Serial, expiry: m[2] as string, keyId: m[3] as string, signature: m[4] as string };
}

/** Whether `text` is exactly one well-formed act01/sig01 lease line for this serial and expiry. */
export function isLeaseLineFor(text: string, serial: Serial, expiry: Expiry): boolean {
  const fields = parseLeaseLine(text);
  return fields !== undefined && fields.serial === serial && fields.expiry === expiry;
}

/** A serial's stored value cut into its lines, each with its LF (a last piece without one is kept as is). */
export function splitLeaseLines(text: string): string[] {
  const lines: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf("\n", start);
    const next = end === -1 ? text.length : end + 1;
    lines.push(text.slice(start, next));
    start = next;
  }
  return lines;
}

/**
 * `act01: <SN> K <EXPIRY> `, then printable ASCII up to the LF whatever the signature (sig01,
 * sig02), but no `"` or `\`: the laptop takes a lease's bytes up to the next `"` unescaped.
 */
const ACTIVATION_LINE = /^act01: [A-Z0-9]{11} K (\d{8}T\d{6}Z) [\x20\x21\x23-\x5b\x5d-\x7e]*\n$/;

/** The expiry of one activation lease line (LF included); undefined if it is not one. */
export function leaseExpiry(line: string): Expiry | undefined {
  return ACTIVATION_LINE.exec(line)?.[1] as Expiry | undefined;
}

/**
 * The value stored for a serial: its distinct lease lines, sorted, concatenated. One school gives
 * one line per UUID; a serial that several schools list gets the lines of all of them, and the
 * laptop uses the line that verifies.
 */
export function serialLeaseText(lines: readonly string[]): string {
  // Most serials have one line: no set, sort and join for them (a school has hundreds).
  if (lines.length === 1) return lines[0] as string;
  return [...new Set(lines)].sort().join("");
}

/** The lines of a stored value, each with its LF. */
export function leaseLines(text: string): string[] {
  return text.split(/(?<=\n)/).filter((line) => line !== "");
}

/** The laptop file of a serial that several school files list: their lines merged. */
export function mergeLeaseTexts(texts: readonly string[]): string {
  return serialLeaseText(texts.flatMap(leaseLines));
}

/**
 * The expiry of each lease line in a serial's stored value (`YYYYMMDDTHHMMSSZ`, not checked to be
 * a real date); undefined unless the value is whole act01/sig01 lease lines.
 */
export function leaseExpiries(text: string): string[] | undefined {
  const expiries: string[] = [];
  for (let at = 0; at < text.length; ) {
    const end = text.indexOf("\n", at) + 1;
    const m = end === 0 ? null : LINE.exec(text.slice(at, end));
    if (m === null) return undefined;
    expiries.push(m[2] as string);
    at = end;
  }
  return expiries.length > 0 ? expiries : undefined;
}
