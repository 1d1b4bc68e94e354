// leasegen.conf's syntax, read as the Ruby program's parser (the `parseconfig` gem,
// ParseConfig#import_config) read it, so that a file that worked there means the same here:
// - each line is stripped; blank lines and lines starting with `#` or `;` are comments;
// - a line is split at its first `=` into a key and a value, both stripped;
// - a value wrapped in quotes, `"…"` or `'…'`, loses the outer two; everything else is literal:
//   no escapes, no inline comments (`pass = abc#def` is `abc#def`);
// - the last of two lines with the same key wins.
// Stricter than parseconfig, because a typo must not pass silently (SPEC §6): a line without
// `=` and a `[section]` line are errors. An error about a line without `=` names its number only
// (it may be the second half of a password quoted across two lines); one about a line with `=`
// names at most its key part. Never a value: the file holds the inventario password.
import { parse } from "ini";
import { ConfigError, shownKey } from "./config.js";

export interface ConfigText {
  /** Each key's value, as written between the quotes. */
  readonly values: Readonly<Record<string, string>>;
  /** The line (1-based) each key was read from. */
  readonly lines: ReadonlyMap<string, number>;
}

// What Ruby's String#strip removes, and no more: a password may end in a no-break space.
const RUBY_SPACE = /^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g;
const rubyStrip = (text: string): string => text.replace(RUBY_SPACE, "");
// parseconfig's /^['"](.*)['"]$/: one quote of either kind at each end, greedy.
const QUOTED = /^['"](.*)['"]$/s;

export function parseConfigText(text: string): ConfigText {
  const entries = new Map<string, { value: string; line: number }>();
  text
    .replace(/^\uFEFF/, "")
    .split("\n")
    .forEach((raw, index) => {
      const line = index + 1;
      const stripped = rubyStrip(raw);
      if (stripped === "" || stripped.startsWith("#") || stripped.startsWith(";")) return;
      if (/^\[.*\]$/s.test(stripped)) throw new ConfigError(undefined, `sections ("[…]") are not used in this file`, line);
      const equals = stripped.indexOf("=");
      if (equals === -1) throw new ConfigError(undefined, `no "=" in this line (expected key = value)`, line);
      const key = rubyStrip(stripped.slice(0, equals));
      if (key === "") throw new ConfigError(undefined, `no key before "="`, line);
      const value = rubyStrip(stripped.slice(equals + 1));
      // As in parseconfig, the last line with a key wins.
      entries.set(key, { value: QUOTED.exec(value)?.[1] ?? value, line });
    });
  return { values: assemble(entries), lines: new Map([...entries].map(([key, { line }]) => [key, line])) };
}

/**
 * `ini` builds the object (null prototype, `__proto__` refused), but its own reading of a value
 * differs from parseconfig's: it parses a double-quoted value as JSON (`"C:\new"` gets a
 * newline) and cuts an unquoted one at `#` or `;`. So the lines are split above, and each key
 * and value is handed to `ini` JSON-quoted, which its unsafe() reads back with JSON.parse,
 * verbatim. U+2028/2029 are escaped too: ini's line pattern (`.*`) stops at them.
 * `bracketedArray: false` keeps `key[]` a plain (unknown) key; keys are already unique, so
 * nothing becomes an array. `ini` turns `true`, `false` and `null` into values: turned back.
 */
function assemble(entries: ReadonlyMap<string, { value: string }>): Record<string, string> {
  const json = (text: string): string => JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  const ini = [...entries].map(([key, { value }]) => `${json(key)}=${json(value)}`).join("\n");
  const parsed = parse(ini, { bracketedArray: false }) as Record<string, unknown>;
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const key of entries.keys()) {
    if (!Object.hasOwn(parsed, key)) throw new ConfigError(key, `unknown key ${shownKey(key)}`);
    values[key] = String(parsed[key]);
  }
  return values;
}
