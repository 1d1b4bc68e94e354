import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CanonicalJsonError, readCanonicalSchoolFile, readSchoolFile, schoolFileText } from "../../src/core/canonical-json.js";
import { VECTORS } from "../support/keys.js";

const vector = (name: string): string => readFileSync(join(VECTORS, name), "latin1");

test("reproduces vectors/school-lease.cjson.sig byte for byte (raw LF inside the value)", () => {
  const lines = vector("act01-sig01.sig") + vector("act01-sig02.sig");
  assert.equal(schoolFileText(new Map([["SHC12345678", lines]])), vector("school-lease.cjson.sig"));
});

test("reads the vector back", () => {
  const leases = readSchoolFile(vector("school-lease.cjson.sig"));
  assert.deepEqual([...leases.keys()], ["SHC12345678"]);
  assert.equal(leases.get("SHC12345678"), vector("act01-sig01.sig") + vector("act01-sig02.sig"));
});

test("keys in byte order, no whitespace, no trailing newline; empty school is [1,{}]", () => {
  assert.equal(schoolFileText(new Map()), "[1,{}]");
  const text = schoolFileText(
    new Map([
      ["b", "2\n"],
      ["B", "1\n"],
      ["a", "3\n"],
    ]),
  );
  assert.equal(text, '[1,{"B":"1\n","a":"3\n","b":"2\n"}]');
});

test('only " and \\ are escaped, and they round-trip', () => {
  const leases = new Map([['q"k\\', 'v"\\\n\t']]);
  const text = schoolFileText(leases);
  assert.equal(text, '[1,{"q\\"k\\\\":"v\\"\\\\\n\t"}]');
  assert.deepEqual(readSchoolFile(text), leases);
});

test("JSON.stringify's format (escaped \\n) is not what is written", () => {
  assert.notEqual(schoolFileText(new Map([["S", "x\n"]])), JSON.stringify([1, { S: "x\n" }]));
});

test("anything else is refused", () => {
  for (const bad of ["", "[1,{", '[2,{"a":"b"}]', '[1,{"a":"b"', '[1,{"a""b"}]', '[1,{"a":"b",}]', '[1,{"a":1}]', '[1,{"a":"b}]']) {
    assert.throws(() => readSchoolFile(bad), CanonicalJsonError, bad);
  }
});

test("readCanonicalSchoolFile takes exactly the bytes schoolFileText writes, and nothing else", () => {
  assert.equal(readCanonicalSchoolFile(vector("school-lease.cjson.sig")).size, 1);
  assert.deepEqual(
    readCanonicalSchoolFile('[1,{"B":"1\n","a":"3\n"}]'),
    new Map([
      ["B", "1\n"],
      ["a", "3\n"],
    ]),
  );
  const notCanonical = ['[1,{"a":"3\n","B":"1\n"}]', '[1,{"a":"1\n","a":"2\n"}]', '[1,{"a":"x\\n"}]', '[1,{"a\\b":"1"}]'];
  for (const text of notCanonical) {
    assert.doesNotThrow(() => readSchoolFile(text), text);
    assert.throws(() => readCanonicalSchoolFile(text), /not canonical JSON/, text);
  }
});
