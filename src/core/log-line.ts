// The log's text format (log_format = text), for people who read the log with `cat`: one line
// per event, as a system log reads,
//
//   2026-11-22T02:17:21.120Z INFO  run finished: 1 schools regenerated… regenerated=1 seconds=0.21
//
// the time (UTC), the level, the message, then the event's fields as key=value. A value with a
// space, a quote, a backslash or a control character is written as a JSON string ("a b\n"), so
// that no value, however it came from inventario, can end the line or forge the next one.

/** The widest level name (ERROR), so that messages line up. */
const LEVEL_WIDTH = 5;

/** Characters that could break or fake a line on a terminal: C0 and C1 controls, DEL, U+2028/2029. */
const LINE_BREAKING = /[\p{Cc}\u2028\u2029]/gu;
const NEEDS_QUOTES = /[\s"\\\p{Cc}\u2028\u2029]/u;

/** One log record (pino's JSON object: time, level, pid, fields, msg) as one text line, LF-ended. */
export function textLogLine(record: Readonly<Record<string, unknown>>): string {
  const { time, level, msg, ...fields } = record;
  const head = `${String(time)} ${String(level).toUpperCase().padEnd(LEVEL_WIDTH)} ${oneLine(String(msg ?? ""))}`;
  // The pid is left out: one run at a time writes the log, and "run started" opens each run.
  const tail = Object.entries(fields)
    .filter(([key]) => key !== "pid")
    .map(([key, value]) => ` ${key}=${fieldValue(value)}`);
  return `${head}${tail.join("")}\n`;
}

/** Text on one line: every line-breaking character escaped as in a JSON string (\n, \u0007…). */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKING, escapeCharacter);
}

/** Bare when that is unambiguous, else a JSON string; a list as its items joined with commas. */
function fieldValue(value: unknown): string {
  if (typeof value === "string") return bareOrQuoted(value);
  if (Array.isArray(value)) return bareOrQuoted(value.map((item) => (typeof item === "string" ? item : JSON.stringify(item))).join(","));
  if (value !== null && typeof value === "object") return bareOrQuoted(JSON.stringify(value));
  return String(value);
}

function bareOrQuoted(text: string): string {
  if (text !== "" && !NEEDS_QUOTES.test(text)) return text;
  // JSON.stringify escapes C0 controls, quotes and backslashes; the rest of LINE_BREAKING too.
  return JSON.stringify(text).replace(LINE_BREAKING, escapeCharacter);
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r" };

function escapeCharacter(character: string): string {
  return SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}
