// leasegen.conf read as the Ruby program's parseconfig read it (issue 11 §5), and errors that
// never show a value (§8).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfigText } from "../../src/core/config-syntax.js";
import { ConfigError, validateConfig } from "../../src/core/config.js";
import { ROOT } from "../support/harness.js";

const valueOf = (line: string): string | undefined => parseConfigText(`${line}\n`).values["pass"];

test("the Ruby program's own example file (tchx84/leasegen etc/leasegen.conf.example) reads as it did there", () => {
  const text = readFileSync(join(ROOT, "test", "fixtures", "ruby-leasegen", "leasegen.conf.example"), "utf8");
  const { values, lines } = parseConfigText(text);
  assert.deepEqual(
    { ...values },
    {
      user: "xxx",
      pass: "xxx",
      site: "http://localhost:3000/",
      bios_crypto_path: "/home/foo/bios-crypto",
      signing_key_path: "/home/foo/keys/lease",
    },
  );
  assert.equal(lines.get("signing_key_path"), 13);
  const config = validateConfig(values);
  assert.equal(config.leasesDir, "/var/lib/xo-activations", "the commented-out key keeps its default");
  assert.equal(config.signingKeyPath, "/home/foo/keys/lease");
});

test("a quoted value is everything between the outer quotes, literally: no escapes, no comments", () => {
  const cases: [string, string][] = [
    ['pass = "Clave\\tres"', "Clave\\tres"],
    ['pass = "C:\\new"', "C:\\new"],
    ['pass = "\\\\"', "\\\\"],
    ['pass = "a\\"b"', 'a\\"b'],
    ['pass = "say "hi""', 'say "hi"'],
    ['pass = "a#b;c=d"', "a#b;c=d"],
    ['pass = "ñandú €½ 日本"', "ñandú €½ 日本"],
    ["pass = '12345'", "12345"],
    ["pass = 'it''s'", "it''s"],
    ["pass = \"mixed'", "mixed"],
    ['pass = "  spaced  "', "  spaced  "],
    ['pass = ""', ""],
    ['pass = "', '"'],
    ['pass = "unbalanced', '"unbalanced'],
    ['pass = "s3cret" # not a comment', '"s3cret" # not a comment'],
    ['pass = "true"', "true"],
    ["pass = null", "null"],
    ['pass = "\u2028"', "\u2028"],
  ];
  for (const [line, value] of cases) assert.equal(valueOf(line), value, line);
});

test("any value survives the trip through ini unchanged (10,000 generated values)", () => {
  const alphabet = [..."aZ9 \t\\\"'=#;:[]{}.,\r\u0000\u0001\u007f\u00a0\u2028\u2029\ufeffñ€日😀"];
  alphabet.push("\ud800"); // a lone surrogate, as a broken editor may leave
  let seed = 11;
  const random = (n: number): number => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let i = 0; i < 10_000; i += 1) {
    const value = Array.from({ length: 1 + random(12) }, () => alphabet[random(alphabet.length)]).join("");
    assert.equal(valueOf(`pass = "${value}"`), value, JSON.stringify(value));
  }
});

test("an unquoted value is literal too: # and ; are part of it, = splits only once", () => {
  const cases: [string, string][] = [
    ["pass = abc#def", "abc#def"],
    ["pass = abc ; def", "abc ; def"],
    ["pass=a=b==c", "a=b==c"],
    ["pass = \\t\\\\x", "\\t\\\\x"],
    ["pass\t=\tTr0ub4dor&3 \t", "Tr0ub4dor&3"],
    ["pass = a\u00a0", "a\u00a0"],
    ["   pass   =   x y  ", "x y"],
  ];
  for (const [line, value] of cases) assert.equal(valueOf(line), value, line);
});

test("comments, blank lines, a BOM, CRLF and tabs; the last of two lines with a key wins", () => {
  const text = '\uFEFF# comment\r\n; comment too\r\n\r\n\t  \r\n\tuser\t=\t"a"\r\npass = first\r\npass = "second"\r\n  #pass = third\r\n';
  const { values, lines } = parseConfigText(text);
  assert.deepEqual({ ...values }, { user: "a", pass: "second" });
  assert.equal(lines.get("pass"), 7);
});

test("keys are literal: quotes, [] and # are part of a key, never a way to reach another key", () => {
  assert.deepEqual(
    { ...parseConfigText('"pass" = x\npass[] = y\npass#old = z\n').values },
    { '"pass"': "x", "pass[]": "y", "pass#old": "z" },
  );
  assert.throws(
    () => parseConfigText("__proto__ = x\n"),
    (e: unknown) => e instanceof ConfigError && e.message === 'unknown key "__proto__"',
  );
});

test("lines that are not key = value are errors naming the line, and at most the key part", () => {
  const noEquals = /^no "=" in this line \(expected key = value\)$/;
  const cases: [string, number, RegExp][] = [
    ["user = u\npass: Tr0ub4dor&3\n", 2, noEquals],
    ["pass Tr0ub4dor&3\n", 1, noEquals],
    ["\n\nTr0ub4dor&3\n", 3, noEquals],
    [": Tr0ub4dor&3\n", 1, noEquals],
    // A password quoted across two lines: its second half is a line without "=" (issue 15 §5).
    ['user = u\npass = "correct horse\nbattery staple"\n', 3, noEquals],
    ['pass = "xx\nTr0ub4dor&3 "\n', 2, noEquals],
    ["= Tr0ub4dor&3\n", 1, /^no key before "="$/],
    ["[inventario]\npass = x\n", 1, /^sections \("\[…\]"\) are not used in this file$/],
  ];
  for (const [text, line, message] of cases) {
    assert.throws(
      () => parseConfigText(text),
      (e: unknown) =>
        e instanceof ConfigError && e.line === line && message.test(e.message) && !/Tr0ub|battery|staple|horse/.test(e.message),
      text,
    );
  }
});

test("an unknown key is shown up to its first space, = or :, at most 40 characters", () => {
  const cases: [string, string][] = [
    ["pass: Tr0ub4dor&3 = x", 'unknown key "pass…"'],
    ["pass:Tr0ub4dor&3=x", 'unknown key "pass…"'],
    ["pass Tr0ub4dor&3 = x", 'unknown key "pass…"'],
    ["frobnicate = x", 'unknown key "frobnicate"'],
    [`${"k".repeat(50)} = x`, `unknown key "${"k".repeat(40)}…"`],
  ];
  const required = { user: "u", pass: "p", site: "http://h/", signing_key_path: "/k" };
  for (const [line, message] of cases) {
    assert.throws(
      () => validateConfig({ ...required, ...parseConfigText(`${line}\n`).values }),
      (e: unknown) => e instanceof ConfigError && e.message === message && !e.message.includes("Tr0ub"),
      line,
    );
  }
});
