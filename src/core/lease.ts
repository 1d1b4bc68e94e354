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

/** The value stored for a serial: its lease lines sorted (one per UUID), concatenated. */
export function serialLeaseText(lines: readonly string[]): string {
  return [...lines].sort().join("");
}
