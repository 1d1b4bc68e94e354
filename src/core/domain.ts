// The domain's words, validated once at the border and trusted everywhere inside.
// Each type is a branded string: the only way to make one is its parse function.

declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

/** A school server's name as inventario lists it; safe to use as one file name. */
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

/**
 * Renders untrusted text for a message: quoted, bounded, and escaped as in a JSON string
 * wherever a character could break the line or make the text display as other text.
 */
export function quote(text: string, max = 80): string {
  return escapeUnsafe(JSON.stringify(shorten(text, max)));
}

/**
 * Characters that could break or fake a line on a terminal, or make text display as other text:
 * C0 and C1 controls and DEL, format characters (U+202E shows the rest of a line reversed, a
 * zero-width space hides), and the line and paragraph separators U+2028/U+2029.
 */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

/** Text with every unsafe character escaped as in a JSON string (`\n`, `\u202e`…), on one line. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (character) => SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The first `max` UTF-16 units of `text` and `…` when it is longer; a surrogate pair is never
 * split, so what is shown stays valid UTF-8.
 */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, cut)}…`;
}

/** C0 and C1 control characters, DEL included: NUL ends a path, a newline breaks a log line. */
const CONTROL = /\p{Cc}/u;
/**
 * Unicode format characters (bidirectional overrides such as U+202E, zero-width ones) and the
 * line and paragraph separators: a name holding one displays as another name, or reversed.
 */
const DECEIVING = /[\p{Cf}\u2028\u2029]/u;

/** NAME_MAX (255) less the longest suffix a school's files add: `.checksum` and a temporary file's `.<10 digits>`. */
export const MAX_HOSTNAME_BYTES = 255 - ".checksum".length - 11;

/**
 * inventario lists school servers by whatever name they were given, and the Ruby program took
 * them all (IP addresses, underscores, upper case): a name is refused only when it cannot be
 * one file name safely.
 */
export function parseHostname(text: string): Parsed<Hostname> {
  const refuse = (why: string): Parsed<Hostname> => bad(`hostname ${quote(text)} ${why}`);
  if (text === "" || text === "." || text === "..") return refuse("is not a file name");
  if (text.includes("/")) return refuse("contains a /");
  if (CONTROL.test(text)) return refuse("contains a control character");
  if (DECEIVING.test(text)) return refuse("contains a Unicode format, bidirectional or line-separator character");
  if (text.startsWith(".") || text.startsWith("-")) return refuse("starts with . or -");
  if (Buffer.byteLength(text, "utf8") > MAX_HOSTNAME_BYTES)
    return refuse(`is longer than ${MAX_HOSTNAME_BYTES} bytes (its files' names would not fit)`);
  return ok(text as Hostname);
}

export const SERIAL_LENGTH = 11;
const SERIAL = /^[A-Z0-9]{11}$/;

export function parseSerial(text: string): Parsed<Serial> {
  return SERIAL.test(text) ? ok(text as Serial) : bad(`serial ${quote(text)} is not 11 characters A-Z 0-9`);
}

/**
 * A serial as inventario lists it, in the school lists and the stolen list alike: trimmed and
 * upper-cased (leases and the firmware write serials in upper case), then validated.
 */
export function parseListedSerial(text: string): Parsed<Serial> {
  const serial = parseSerial(text.trim().toUpperCase());
  return serial.ok ? serial : bad(`serial ${quote(text)} is not 11 characters A-Z 0-9`);
}

const UUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

export function parseUuid(text: string): Parsed<Uuid> {
  return UUID.test(text) ? ok(text as Uuid) : bad(`UUID ${quote(text)} is not 36 characters of hex in the 8-4-4-4-12 pattern`);
}

/**
 * A UUID as inventario lists it, in either list: whitespace around it trimmed (no UUID holds
 * any), its case never changed (SPEC §3: the firmware signs the bytes it holds), then validated.
 */
export function parseListedUuid(text: string): Parsed<Uuid> {
  const uuid = parseUuid(text.trim());
  return uuid.ok ? uuid : bad(`UUID ${quote(text)} is not 36 characters of hex in the 8-4-4-4-12 pattern`);
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
  return ok(ownCopy(text) as Expiry);
}

/**
 * The same characters, not tied to a longer string: V8 makes a string cut out of another (an
 * expiry out of a school's XML answer) a view that keeps the whole of it alive. A run keeps each
 * school's expiry in its report, and so kept every school's answer, about 30 KB each.
 */
function ownCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/** A laptop as inventario lists it for a school, once validated. */
export interface Laptop {
  readonly serial: Serial;
  readonly uuid: Uuid;
}

/**
 * Byte-order comparison of the UTF-8 encodings, the order canonical JSON and the checksum use.
 * UTF-16 code units below the surrogates order as UTF-8 bytes do, so only a difference at or
 * above U+D800 encodes the strings (sorting a school's serials compared thousands of them).
 */
export function byteOrder(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
  }
  return a.length - b.length;
}
