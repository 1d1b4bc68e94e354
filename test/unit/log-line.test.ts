import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_MESSAGE_LENGTH,
  MAX_VALUE_LENGTH,
  SAID_IN_MESSAGE,
  boundedFields,
  boundedMessage,
  nameInMessage,
  oneLine,
  textLogLine,
} from "../../src/core/log-line.js";

const TIME = "2026-11-22T02:17:21.120Z";

test("time, level, message, then the fields as key=value; the pid is left out", () => {
  const record = {
    level: "info",
    time: TIME,
    pid: 3114,
    hostname: "a.example.org",
    laptops: 7,
    held: false,
    msg: "a.example.org: regenerated",
  };
  assert.equal(textLogLine(record), `${TIME} INFO  a.example.org: regenerated hostname=a.example.org laptops=7 held=false\n`);
  assert.equal(textLogLine({ level: "error", time: TIME, msg: "boom" }), `${TIME} ERROR boom\n`);
  assert.equal(textLogLine({ level: "warn", time: TIME, msg: "careful" }), `${TIME} WARN  careful\n`);
});

test("a value with a space, quote, backslash or control character, or an empty one, is a JSON string", () => {
  const line = (value: unknown): string => textLogLine({ level: "info", time: TIME, msg: "m", v: value });
  assert.equal(line("list changed"), `${TIME} INFO  m v="list changed"\n`);
  assert.equal(line(""), `${TIME} INFO  m v=""\n`);
  assert.equal(line('say "hi"'), `${TIME} INFO  m v="say \\"hi\\""\n`);
  assert.equal(line("C:\\new"), `${TIME} INFO  m v="C:\\\\new"\n`);
  assert.equal(line("a=b"), `${TIME} INFO  m v=a=b\n`);
  assert.equal(line(null), `${TIME} INFO  m v=null\n`);
  assert.equal(line(0.25), `${TIME} INFO  m v=0.25\n`);
  // A quoted value reads back as JSON.
  for (const value of ["two\nlines", "tab\there", "bell\u0007", "del\u007f", "nel\u0085", "ls\u2028ps\u2029", 'q"\\']) {
    const quoted = /^\S+ INFO {2}m v=(.*)\n$/.exec(line(value))?.[1] ?? "";
    assert.equal(JSON.parse(quoted), value);
  }
});

test("no value or message can split the line or forge the next one", () => {
  const forged = `x\n${TIME} ERROR forged\r\u2028\u0000`;
  const line = textLogLine({ level: "warn", time: TIME, msg: forged, serial: forged, list: [forged], object: { forged } });
  assert.equal(line.indexOf("\n"), line.length - 1);
  assert.doesNotMatch(line.slice(0, -1), /[\p{Cc}\u2028\u2029]/u);
  assert.ok(line.startsWith(`${TIME} WARN  x\\n${TIME} ERROR forged\\r\\u2028\\u0000 serial="x\\n`), line);
});

test("a list is its items joined with commas; an object is JSON", () => {
  const line = textLogLine({ level: "info", time: TIME, msg: "m", hostnames: ["a.org", "b.org"], empty: [], nested: { a: 1 } });
  assert.equal(line, `${TIME} INFO  m hostnames=a.org,b.org empty="" nested="{\\"a\\":1}"\n`);
});

test("oneLine escapes line-breaking characters, and those that make text display as other text, only", () => {
  assert.equal(oneLine('a\nb\tc \\ "d"'), 'a\\nb\\tc \\ "d"');
  assert.equal(oneLine("é ñ ✓"), "é ñ ✓");
  assert.equal(oneLine("x\u202egro.elpmaxe\u200b\u2028\u0085"), "x\\u202egro.elpmaxe\\u200b\\u2028\\u0085");
});

test("a line says a thing once: the fields the message says are left out of the text line", () => {
  const record = {
    level: "info",
    time: TIME,
    pid: 3114,
    hostname: "a.example.org",
    action: "regenerated",
    reason: "output missing",
    laptops: 7,
    signed: 5,
    ms: 111,
    [SAID_IN_MESSAGE]: ["hostname", "action", "reason"],
    msg: "a.example.org: regenerated (output missing)",
  };
  assert.equal(textLogLine(record), `${TIME} INFO  a.example.org: regenerated (output missing) laptops=7 signed=5 ms=111\n`);
});

test("a hostname holding a space, = or a quote is quoted in a message, as a field value is", () => {
  assert.equal(nameInMessage("schoolserver.escuela1.example.org"), "schoolserver.escuela1.example.org");
  assert.equal(nameInMessage("10.1.2.3"), "10.1.2.3");
  assert.equal(nameInMessage("eq=val x=1"), '"eq=val x=1"');
  assert.equal(nameInMessage("eq=val"), '"eq=val"');
  assert.equal(nameInMessage('a"b'), '"a\\"b"');
  assert.equal(nameInMessage("a b"), '"a b"');
  assert.equal(nameInMessage("a\\b"), '"a\\\\b"');
});

test("every value is bounded: a string cut with …, a list to what fits and a count, a long object to its cut JSON", () => {
  const serial = "S".repeat(100_000);
  const hostnames = Array.from({ length: 10_000 }, (_, i) => `schoolserver.escuela${i}.example.org`);
  const bounded = boundedFields({ serial, hostnames, count: 3, ok: true, nothing: null, small: { a: 1 }, big: { s: serial } });
  assert.equal(bounded["serial"], `${"S".repeat(MAX_VALUE_LENGTH)}…`);
  const list = bounded["hostnames"] as string[];
  assert.ok(list.join(",").length < MAX_VALUE_LENGTH + 20, `${list.join(",").length}`);
  assert.deepEqual(list.slice(0, 2), hostnames.slice(0, 2));
  assert.equal(list.at(-1), `…${10_000 - (list.length - 1)} more`);
  assert.deepEqual([bounded["count"], bounded["ok"], bounded["nothing"], bounded["small"]], [3, true, null, { a: 1 }]);
  assert.equal((bounded["big"] as string).length, MAX_VALUE_LENGTH + 1);
  // A hostname (at most 235 bytes) is never cut.
  assert.equal(boundedFields({ hostname: "h".repeat(235) })["hostname"], "h".repeat(235));
  // A stack and a command's output keep more (post_hook keeps 16 KiB of each stream).
  assert.equal((boundedFields({ stderr: "e".repeat(20_000) })["stderr"] as string).length, 16 * 1024 + 1);
  assert.equal(boundedMessage("m".repeat(5000)), `${"m".repeat(MAX_MESSAGE_LENGTH)}…`);
});
