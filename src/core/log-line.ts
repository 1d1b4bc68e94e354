// The log's text format (log_format = text), for people who read the log with `cat`: one line
// per event, as a system log reads,
//
//   2026-11-22T02:17:21.120Z INFO  a.example.org: regenerated (list changed) laptops=7 signed=5 ms=111
//
// the time (UTC), the level, the message, then the event's fields as key=value. The message is
// the sentence a person reads; the fields add only what it does not say (what it says is left
// out here, and kept in log_format = json). A value with a space, a quote, a backslash or a
// control character is written as a JSON string ("a b\n"), so that no value, however it came
// from inventario, can end the line or forge the next one; and no value is longer than a few
// hundred characters (boundedFields), so that a 100 KB serial cannot make a 100 KB line.
import { escapeUnsafe, shorten } from "./domain.js";

/** The widest level name (ERROR), so that messages line up. */
const LEVEL_WIDTH = 5;

/** A value bare but for these: white space, quotes, backslashes, and what escapeUnsafe escapes. */
const NEEDS_QUOTES = /[\s"\\\p{Cc}\p{Cf}\u2028\u2029]/u;

/**
 * The field of a text-format record that lists the fields its message already says: the
 * text line leaves them out. It is added only for the text format (see io/log.ts).
 */
export const SAID_IN_MESSAGE = "said-in-message";

/** One log record (pino's JSON object: time, level, pid, fields, msg) as one text line, LF-ended. */
export function textLogLine(record: Readonly<Record<string, unknown>>): string {
  const { time, level, msg, [SAID_IN_MESSAGE]: said, ...fields } = record;
  const head = `${String(time)} ${String(level).toUpperCase().padEnd(LEVEL_WIDTH)} ${oneLine(String(msg ?? ""))}`;
  const leftOut = new Set(Array.isArray(said) ? said : []);
  // The pid is left out: one run at a time writes the log, and "run started" opens each run.
  leftOut.add("pid");
  const tail = Object.entries(fields)
    .filter(([key]) => !leftOut.has(key))
    .map(([key, value]) => ` ${key}=${fieldValue(value)}`);
  return `${head}${tail.join("")}\n`;
}

/**
 * A name (a school's hostname) as a message shows it: bare, or quoted as a field's value is when
 * it holds a space, `=` or `"`, so that a name like `a=b c=d` cannot read as fields.
 */
export function nameInMessage(name: string): string {
  return name === "" || NEEDS_QUOTES.test(name) || name.includes("=") ? quoted(name) : name;
}

/** The longest value a log line shows; a hostname (at most 235 bytes) is never cut. */
export const MAX_VALUE_LENGTH = 300;
/** A message: a sentence that names a school or two and quotes values, each bounded already. */
export const MAX_MESSAGE_LENGTH = 1000;
/** A stack trace and a command's output (post_hook keeps the last 16 KiB of each stream). */
const LONG_VALUE_LENGTH = 16 * 1024;
const LONG_VALUES: ReadonlySet<string> = new Set(["stack", "stdout", "stderr"]);

/** A message cut to MAX_MESSAGE_LENGTH, with `…`. */
export function boundedMessage(message: string): string {
  return shorten(message, MAX_MESSAGE_LENGTH);
}

/**
 * The fields with every value bounded, cut with `…`: a string to MAX_VALUE_LENGTH (a stack or a
 * command's output to 16 KiB), a list to its first items that fit and the count of the others,
 * an object to its JSON text when that is too long.
 */
export function boundedFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const bounded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    bounded[key] = boundedValue(value, LONG_VALUES.has(key) ? LONG_VALUE_LENGTH : MAX_VALUE_LENGTH);
  }
  return bounded;
}

function boundedValue(value: unknown, max: number): unknown {
  if (typeof value === "string") return shorten(value, max);
  if (Array.isArray(value)) return boundedList(value, max);
  if (value !== null && typeof value === "object") {
    const json = JSON.stringify(value);
    return json.length > max ? shorten(json, max) : value;
  }
  return value;
}

function boundedList(items: readonly unknown[], max: number): unknown[] {
  const kept: unknown[] = [];
  let length = 0;
  for (const item of items) {
    const shown = boundedValue(item, max);
    length += (typeof shown === "string" ? shown : (JSON.stringify(shown) ?? "")).length + 1;
    if (length > max && kept.length > 0) {
      kept.push(`…${items.length - kept.length} more`);
      break;
    }
    kept.push(shown);
  }
  return kept;
}

/** Text on one line: every line-breaking or deceiving character escaped as in a JSON string (\n, \u202e…). */
export function oneLine(text: string): string {
  return escapeUnsafe(text);
}

/** Bare when that is unambiguous, else a JSON string; a list as its items joined with commas. */
function fieldValue(value: unknown): string {
  if (typeof value === "string") return bareOrQuoted(value);
  if (Array.isArray(value)) return bareOrQuoted(value.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(","));
  if (value !== null && typeof value === "object") return bareOrQuoted(JSON.stringify(value));
  return String(value);
}

function bareOrQuoted(text: string): string {
  return text !== "" && !NEEDS_QUOTES.test(text) ? text : quoted(text);
}

function quoted(text: string): string {
  // JSON.stringify escapes C0 controls, quotes and backslashes; escapeUnsafe the rest.
  return escapeUnsafe(JSON.stringify(text));
}
