// The program's Rails XML scanner against fast-xml-parser (test/support/rails-xml-oracle.ts), on
// the fixtures and on every truncation and thousands of seeded corruptions of them: whatever the
// scanner accepts, the oracle accepts too and reads to the same values.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseRailsXml, XmlError, type RailsValue } from "../../src/core/rails-xml.js";
import { FIXTURES } from "../support/keys.js";
import { oracleParseRailsXml } from "../support/rails-xml-oracle.js";

const fixtures = readdirSync(FIXTURES).map((name) => readFileSync(join(FIXTURES, name), "utf8"));
const plain = (value: RailsValue): unknown => JSON.parse(JSON.stringify(value));

/** The scanner must refuse with an XmlError; the oracle refuses with any error. */
function outcome(parse: (xml: string) => RailsValue, xml: string, strict = true): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: plain(parse(xml)) };
  } catch (error) {
    if (strict && !(error instanceof XmlError)) throw new Error(`${(error as Error).message} on ${JSON.stringify(xml)}`);
    return { ok: false };
  }
}

/** The scanner may refuse more than the oracle (it is stricter), never accept something else. */
function assertAgrees(xml: string): boolean {
  const ours = outcome(parseRailsXml, xml);
  if (!ours.ok) return false;
  const oracle = outcome(oracleParseRailsXml, xml, false);
  assert.ok(oracle.ok, `accepted what fast-xml-parser refuses: ${JSON.stringify(xml)}`);
  assert.deepEqual(ours.value, oracle.value, JSON.stringify(xml));
  return true;
}

test("every fixture reads the same as with fast-xml-parser", () => {
  for (const xml of fixtures) assert.equal(assertAgrees(xml), true);
});

test("every truncation of every fixture is refused", () => {
  for (const xml of fixtures) {
    const end = xml.trimEnd().length;
    for (let cut = 0; cut < end; cut += 1) assert.equal(outcome(parseRailsXml, xml.slice(0, cut)).ok, false, xml.slice(0, cut));
  }
});

test("seeded corruptions: never accepted unless fast-xml-parser reads them the same", () => {
  let seed = 20261122;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const alphabet = ["<", ">", "/", '"', "'", "&", ";", "=", " ", "\n", "a", "#", "!", "-", "?", "x", "é", "\0"];
  let accepted = 0;
  for (let i = 0; i < 4000; i += 1) {
    const xml = fixtures[random(fixtures.length)] as string;
    const at = random(xml.length);
    const edits = [
      () => xml.slice(0, at) + xml.slice(at + 1 + random(4)),
      () => xml.slice(0, at) + (alphabet[random(alphabet.length)] as string) + xml.slice(at),
      () => xml.slice(0, at) + (alphabet[random(alphabet.length)] as string) + xml.slice(at + 1),
    ];
    if (assertAgrees((edits[random(edits.length)] as () => string)())) accepted += 1;
  }
  assert.ok(accepted > 100, `the corpus also holds documents both accept (${accepted})`);
});

test("references and attributes read as fast-xml-parser reads them", () => {
  const documents = [
    '<strings type="array"><string>a&amp;b &lt;&gt;&quot;&apos; &#65;&#x42; &amp;#67;</string></strings>',
    "<hash><a type='array'><b>1</b></a><c nil=\"true\"/><d>  </d></hash>",
    '<?xml version="1.0" encoding="UTF-8"?>\n<!-- note --><hash>\n  <a>x</a><!-- in --><b/>\n</hash>\n<!-- after -->\n',
    '\ufeff<strings type="array">\r\n  <string>é</string>\r\n</strings>',
  ];
  for (const xml of documents) assert.equal(assertAgrees(xml), true, xml);
});

test("what Rails never sends is refused", () => {
  for (const xml of [
    "<a><![CDATA[x]]></a>",
    "<a><?pi x?></a>",
    "<a>x & y</a>",
    "<a>&foo;</a>",
    "<a b='1' b='2'/>",
    "<a>t<b/></a>",
    `${"<a>".repeat(40)}x${"</a>".repeat(40)}`,
  ]) {
    assert.throws(() => parseRailsXml(xml), XmlError, xml);
  }
});
