import assert from "node:assert/strict";
import { test } from "node:test";
import {
  byteOrder,
  expiryTime,
  parseExpiry,
  parseHostname,
  parseListedSerial,
  parseListedUuid,
  parseSerial,
  parseUuid,
  quote,
  shorten,
} from "../../src/core/domain.js";
import { seeded } from "../support/seeded.js";

const now = new Date("2026-11-22T00:00:00Z");

test("hostnames: any name that is safe as one file name passes, as inventario sends it", () => {
  const accepted = ["schoolserver.escuela1.caacupe.paraguayeduca.org", "xs", "10.1.2.3", "escuela_1.example.org", "ESCUELA.Example.ORG"];
  for (const good of [...accepted, "a..b", "a-.org", "a b", "host.org.123", "a".repeat(235), "ñandutí.py", "x-"]) {
    assert.equal(parseHostname(good).ok, true, good);
  }
  const refused: [string, RegExp][] = [
    ["", /is not a file name/],
    [".", /is not a file name/],
    ["..", /is not a file name/],
    ["../x", /starts with \. or -|contains a \//],
    ["a/b", /contains a \//],
    ["a\0b", /control character/],
    ["a\nb", /control character/],
    ["a\u007fb", /control character/],
    ["a\u0085b", /control character/],
    // Names that display as another name: bidirectional overrides and isolates, zero-width and
    // other format characters, line and paragraph separators.
    ["schoolserver.\u202egro.elpmaxe", /format, bidirectional or line-separator/],
    ["a\u202ab", /format, bidirectional/],
    ["a\u2066b\u2069", /format, bidirectional/],
    ["a\u200eb", /format, bidirectional/],
    ["a\u061cb", /format, bidirectional/],
    ["a\u200bb", /format, bidirectional/],
    ["a\ufeffb", /format, bidirectional/],
    ["a\u00adb", /format, bidirectional/],
    ["a\u2028b", /line-separator/],
    ["a\u2029b", /line-separator/],
    [".hidden", /starts with \. or -/],
    ["-rf", /starts with \. or -/],
    ["a".repeat(236), /longer than 235 bytes/],
    ["ñ".repeat(118), /longer than 235 bytes/],
  ];
  for (const [bad, why] of refused) {
    const parsed = parseHostname(bad);
    assert.equal(parsed.ok, false, JSON.stringify(bad));
    assert.match(parsed.ok ? "" : parsed.reason, why, JSON.stringify(bad));
  }
});

test("serials and UUIDs as inventario lists them: trimmed, serials upper-cased, UUIDs never re-cased", () => {
  assert.deepEqual(parseListedSerial(" shc12345678\t"), { ok: true, value: "SHC12345678" });
  assert.deepEqual(parseListedUuid(" 8bf9ac40-26f8-4bcc-a699-be51fd366419 "), { ok: true, value: "8bf9ac40-26f8-4bcc-a699-be51fd366419" });
  const bad = parseListedSerial(" shc1 ");
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? "" : bad.reason, /^serial " shc1 " is not/, "the serial as listed");
  for (const text of ["SHC1234567\u202e8", "SHC 12345678", "ＳＨＣ12345678"]) assert.equal(parseListedSerial(text).ok, false, text);
});

test("serials are exactly 11 characters A-Z 0-9", () => {
  assert.equal(parseSerial("SHC12345678").ok, true);
  for (const bad of ["shc12345678", "SHC1234567", "SHC123456789", "SHC1234567/", "SHC 2345678", ""])
    assert.equal(parseSerial(bad).ok, false, bad);
});

test("UUIDs are 8-4-4-4-12 hex and kept byte for byte", () => {
  const lower = parseUuid("8bf9ac40-26f8-4bcc-a699-be51fd366419");
  assert.deepEqual(lower, { ok: true, value: "8bf9ac40-26f8-4bcc-a699-be51fd366419" });
  for (const bad of [
    "ABC2",
    "8BF9AC40-26F8-4BCC-A699-BE51FD36641",
    "8BF9AC40_26F8-4BCC-A699-BE51FD366419",
    "8BF9AC40-26F8-4BCC-A699-BE51FD36641G",
    "",
  ]) {
    assert.equal(parseUuid(bad).ok, false, bad);
  }
});

test("expiry: a real date in YYYYMMDDTHHMMSSZ, in the future", () => {
  assert.deepEqual(parseExpiry("20301231T060000Z", now), { ok: true, value: "20301231T060000Z" });
  assert.equal(expiryTime("20300101T000000Z")?.toISOString(), "2030-01-01T00:00:00.000Z");
  for (const bad of [
    "20300230T060000Z",
    "20301301T060000Z",
    "20300101T250000Z",
    "2030-01-01T06:00Z",
    "20300101T060000",
    "20300101T060000Z\n",
    "",
  ]) {
    assert.equal(parseExpiry(bad, now).ok, false, bad);
  }
  const past = parseExpiry("20261121T060000Z", now);
  assert.equal(past.ok, false);
  assert.match((past as { reason: string }).reason, /in the past/);
});

test("quote escapes control characters and bounds the length of untrusted text", () => {
  assert.equal(quote("a\nb\0"), '"a\\nb\\u0000"');
  assert.equal(quote("x".repeat(200)), `"${"x".repeat(80)}…"`);
  assert.equal(quote("x".repeat(200), 10), `"${"x".repeat(10)}…"`);
  // Nor can it show as other text: a right-to-left override, DEL and C1 controls are escaped too.
  assert.equal(quote("a\u202eb\u007f\u0085\u2029"), '"a\\u202eb\\u007f\\u0085\\u2029"');
});

test("shorten cuts with … and never splits a character made of two UTF-16 units", () => {
  assert.equal(shorten("abc", 3), "abc");
  assert.equal(shorten("abcd", 3), "abc…");
  assert.equal(shorten("ab😀", 3), "ab…");
  assert.equal(shorten("a😀b", 3), "a😀…");
});

test("byteOrder is the order of the UTF-8 bytes, surrogate pairs and all", () => {
  const random = seeded(17);
  const alphabet = ["A", "z", "0", "é", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\ud83d\ude00", "\ud800\udc00", ""];
  const word = (): string =>
    Array.from({ length: Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
  const sign = (n: number): number => Math.sign(n);
  for (let i = 0; i < 5000; i += 1) {
    const a = word();
    const b = random() < 0.3 ? a + word() : word();
    assert.equal(sign(byteOrder(a, b)), sign(Buffer.compare(Buffer.from(a), Buffer.from(b))), JSON.stringify([a, b]));
  }
});
