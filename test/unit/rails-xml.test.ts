import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readLeaseInfo, readSchoolList, readStolenList, AnswerShapeError } from "../../src/core/inventario-answers.js";
import { parseRailsXml, XmlError } from "../../src/core/rails-xml.js";
import { FIXTURES } from "../support/keys.js";
import { renderLeaseInfo, renderSchoolList, renderStolenList } from "../support/inventario-server.js";

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), "utf8");

test("lease_info.xml: laptops in order, duplicates kept, expiry", () => {
  const info = readLeaseInfo(parseRailsXml(fixture("lease_info.xml")));
  assert.deepEqual(info, {
    laptops: [
      { serial: "SHC44444444", uuid: "CCFA84AD-6C1A-BE3C-C427-A0FC8B523632" },
      { serial: "SHC12345678", uuid: "8BF9AC40-26F8-4BCC-A699-BE51FD366419" },
      { serial: "SHC44444444", uuid: "CCFA84AD-6C1A-BE3C-C427-A0FC8B523632" },
    ],
    expiry: "20130315T060000Z",
  });
});

test("lease_info-empty.xml: an empty type=array is an empty list", () => {
  assert.deepEqual(readLeaseInfo(parseRailsXml(fixture("lease_info-empty.xml"))), { laptops: [], expiry: "20130315T060000Z" });
});

test("list.xml and list-empty.xml (root nil-classes)", () => {
  assert.deepEqual(readSchoolList(parseRailsXml(fixture("list.xml"))), [
    "schoolserver.escuela1.caacupe.paraguayeduca.org",
    "schoolserver.escuela2.caacupe.paraguayeduca.org",
  ]);
  assert.deepEqual(readSchoolList(parseRailsXml(fixture("list-empty.xml"))), []);
});

test("requestBlackList.xml: nil UUID is null; the empty list too", () => {
  assert.deepEqual(readStolenList(parseRailsXml(fixture("requestBlackList.xml"))), [
    { serial: "SHC10000009", uuid: null },
    { serial: "SHC10000010", uuid: "0D3C3C2A-5E0B-4F5B-8D38-1A1B2C3D4E5F" },
  ]);
  assert.deepEqual(readStolenList(parseRailsXml(fixture("requestBlackList-empty.xml"))), []);
});

test("schools_leases.xml (legacy call) parses as an array of records", () => {
  const value = parseRailsXml(fixture("schools_leases.xml"));
  assert.ok(Array.isArray(value));
  assert.deepEqual(JSON.parse(JSON.stringify(value[0])), {
    "school-name": "schoolserver.escuela1.caacupe.paraguayeduca.org",
    "serials-uuids": [{ "serial-number": "SHC44444444", uuid: "CCFA84AD-6C1A-BE3C-C427-A0FC8B523632" }],
    "expiry-date": "20120101T060000Z",
  });
});

test("a single-element array stays an array", () => {
  assert.deepEqual(parseRailsXml('<strings type="array"><string>one</string></strings>'), ["one"]);
});

test("entities are decoded once: named, decimal, hex", () => {
  assert.deepEqual(parseRailsXml('<strings type="array"><string>a&amp;b &lt;&gt;&quot;&apos; &#65;&#x42; &amp;#67;</string></strings>'), [
    "a&b <>\"' AB &#67;",
  ]);
});

test("the test inventario renders exactly what Rails renders", () => {
  assert.equal(
    renderLeaseInfo(
      [
        { serial: "SHC44444444", uuid: "CCFA84AD-6C1A-BE3C-C427-A0FC8B523632" },
        { serial: "SHC12345678", uuid: "8BF9AC40-26F8-4BCC-A699-BE51FD366419" },
        { serial: "SHC44444444", uuid: "CCFA84AD-6C1A-BE3C-C427-A0FC8B523632" },
      ],
      "20130315T060000Z",
    ),
    fixture("lease_info.xml"),
  );
  assert.equal(renderLeaseInfo([], "20130315T060000Z"), fixture("lease_info-empty.xml"));
  assert.equal(
    renderSchoolList(["schoolserver.escuela1.caacupe.paraguayeduca.org", "schoolserver.escuela2.caacupe.paraguayeduca.org"]),
    fixture("list.xml"),
  );
  assert.equal(renderSchoolList([]), fixture("list-empty.xml"));
  assert.equal(
    renderStolenList([
      { serial: "SHC10000009", uuid: null },
      { serial: "SHC10000010", uuid: "0D3C3C2A-5E0B-4F5B-8D38-1A1B2C3D4E5F" },
    ]),
    fixture("requestBlackList.xml"),
  );
  assert.equal(renderStolenList([]), fixture("requestBlackList-empty.xml"));
});

test("broken documents are refused with an XmlError", () => {
  for (const bad of [
    "",
    "<hash><a>1</a>",
    "<html><body>oops<br></body></html>",
    "not xml at all",
    '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>',
    "<a/><b/>",
    "<s>&#0;</s>",
  ]) {
    assert.throws(() => parseRailsXml(bad), XmlError, JSON.stringify(bad));
  }
});

test("well-formed XML of the wrong shape is refused with an AnswerShapeError", () => {
  assert.throws(() => readSchoolList(parseRailsXml("<hash><a>1</a></hash>")), AnswerShapeError);
  assert.throws(() => readLeaseInfo(parseRailsXml('<strings type="array"/>')), AnswerShapeError);
  assert.throws(
    () => readLeaseInfo(parseRailsXml("<hash><serials-uuids>x</serials-uuids><expiry-date>1</expiry-date></hash>")),
    AnswerShapeError,
  );
  assert.throws(() => readLeaseInfo(parseRailsXml('<hash><serials-uuids type="array"/></hash>')), /expiry-date/);
  assert.throws(() => readStolenList(parseRailsXml('<objects type="array"><object><uuid>x</uuid></object></objects>')), /serial-number/);
});

test("a repeated element where one is expected (a hash member) is malformed, not 'the last one wins'", () => {
  const cases: [string, RegExp][] = [
    [
      '<objects type="array"><object><serial-number>SHC00000009</serial-number><uuid nil="true"/><serial-number>SHC00000001</serial-number></object></objects>',
      /<serial-number> repeated in <object>/,
    ],
    [
      '<hash><serials-uuids type="array"><serials-uuid><serial-number>SHC00000001</serial-number><uuid>x</uuid></serials-uuid></serials-uuids><serials-uuids type="array"/><expiry-date>20301231T060000Z</expiry-date></hash>',
      /<serials-uuids> repeated in <hash>/,
    ],
    [
      '<hash><serials-uuids type="array"/><expiry-date>20301231T060000Z</expiry-date><expiry-date>20991231T060000Z</expiry-date></hash>',
      /<expiry-date> repeated/,
    ],
    ['<hash><a nil="true"/><a>x</a></hash>', /<a> repeated/],
    ["<hash><a/><b/><a/></hash>", /<a> repeated/],
  ];
  for (const [xml, why] of cases)
    assert.throws(
      () => parseRailsXml(xml),
      (e: unknown) => e instanceof XmlError && why.test(e.message),
      xml,
    );
  // In an array, elements repeat: that is what an array is.
  assert.deepEqual(parseRailsXml('<strings type="array"><string>a</string><string>a</string></strings>'), ["a", "a"]);
  // The same name at different levels is no repetition.
  assert.deepEqual(JSON.parse(JSON.stringify(parseRailsXml("<hash><a><a>x</a></a></hash>"))), { a: { a: "x" } });
});

test("an error names a hostile document's element names bounded", () => {
  const name = "n".repeat(100_000);
  assert.throws(
    () => parseRailsXml(`<hash><${name}>x</hash>`),
    (e: unknown) => e instanceof XmlError && e.message.length < 200,
  );
});
