import assert from "node:assert/strict";
import { test } from "node:test";
import { oneLine, textLogLine } from "../../src/core/log-line.js";

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

test("oneLine escapes line-breaking characters only", () => {
  assert.equal(oneLine('a\nb\tc \\ "d"'), 'a\\nb\\tc \\ "d"');
  assert.equal(oneLine("é ñ ✓"), "é ñ ✓");
});
