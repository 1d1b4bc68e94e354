// The domain's words, validated once at the border and trusted everywhere inside.
// Each type is a branded string: the only way to make one is its parse function.

declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** A school server's DNS name; safe to use as a file name. */
export type Hostname = Branded<string, "Hostname">;
/** A laptop serial number: 11 characters A-Z 0-9. */
export type Serial = Branded<string, "Serial">;
/** A laptop UUID, byte for byte as the firmware holds it (never re-cased). */
export type Uuid = Branded<string, "Uuid">;
/** A lease expiry, `YYYYMMDDTHHMMSSZ` in UTC. */
export type Expiry = Branded<string, "Expiry">;

/** What is wrong with a value, or the validated value. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** Renders untrusted text for an error message: quoted, control characters escaped, bounded. */
export function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(shown);
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function parseHostname(text: string): Parsed<Hostname> {
  if (text.length === 0 || text.length > 253) return bad(`hostname ${quote(text)} must have 1 to 253 characters`);
  const labels = text.split(".");
  if (!labels.every((label) => LABEL.test(label))) {
    return bad(`hostname ${quote(text)} is not a DNS name (letters, digits and hyphens, separated by dots)`);
  }
  // No top-level domain is all digits (RFC 3696 §2); refusing one also keeps a school's file
  // name apart from the `<name>.<digits>` temporary files of the atomic writes.
  if (/^\d+$/.test(labels[labels.length - 1] as string)) return bad(`hostname ${quote(text)} ends in an all-numeric label`);
  return ok(text as Hostname);
}

export const SERIAL_LENGTH = 11;
const SERIAL = /^[A-Z0-9]{11}$/;

export function parseSerial(text: string): Parsed<Serial> {
  return SERIAL.test(text) ? ok(text as Serial) : bad(`serial ${quote(text)} is not 11 characters A-Z 0-9`);
}

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

export function parseUuid(text: string): Parsed<Uuid> {
  return UUID.test(text) ? ok(text as Uuid) : bad(`UUID ${quote(text)} is not 36 characters of hex in the 8-4-4-4-12 pattern`);
}

const EXPIRY = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Reads an expiry as a UTC instant; undefined unless it is a real date in the format. */
export function expiryTime(text: string): Date | undefined {
  const m = EXPIRY.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return real ? date : undefined;
}

/** An expiry must be a real date, in the future: a lease that is already dead locks the laptop. */
export function parseExpiry(text: string, now: Date): Parsed<Expiry> {
  const time = expiryTime(text);
  if (!time) return bad(`expiry ${quote(text)} is not a real date as YYYYMMDDTHHMMSSZ`);
  if (time.getTime() <= now.getTime()) return bad(`expiry ${text} is in the past`);
  return ok(text as Expiry);
}

/** A laptop as inventario lists it for a school, once validated. */
export interface Laptop {
  readonly serial: Serial;
  readonly uuid: Uuid;
}

/** Byte-order comparison, the order canonical JSON and the checksum use. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
