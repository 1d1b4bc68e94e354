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

/** Whether `text` is exactly one well-formed act01/sig01 lease line for this serial and expiry. */
export function isLeaseLineFor(text: string, serial: Serial, expiry: Expiry): boolean {
  const m = LINE.exec(text);
  return m !== null && m[1] === serial && m[2] === expiry;
}

/** The value stored for a serial: its lease lines sorted (one per UUID), concatenated. */
export function serialLeaseText(lines: readonly string[]): string {
  return [...lines].sort().join("");
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
