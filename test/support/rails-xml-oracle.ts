// The test oracle for src/core/rails-xml.ts: the same reading of Rails XML, done with the
// well-kept fast-xml-parser and its validator (the program's first implementation). The tests
// check that the program's own scanner never accepts what this refuses, and reads the same values.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { XmlError, type RailsValue } from "../../src/core/rails-xml.js";

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Entities are decoded below in a single pass, so `&amp;#65;` stays `&#65;`.
  processEntities: false,
});

type Node = { [tag: string]: Node[] | string } & { ":@"?: Record<string, string> };

/** Parses one Rails XML document; throws XmlError if it is not one. */
export function oracleParseRailsXml(xml: string): RailsValue {
  // Rails never sends a DTD; refusing it rules out entity-expansion attacks.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlError("XML with a DTD is refused");
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlError(`malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  const roots = elements(parser.parse(xml) as Node[]);
  if (roots.length !== 1) throw new XmlError("XML document must have exactly one root element");
  return toValue(roots[0] as Node);
}

function tagOf(node: Node): string {
  return Object.keys(node).find((key) => key !== ":@") as string;
}

function elements(nodes: Node[]): Node[] {
  return nodes.filter((node) => tagOf(node) !== "#text" && tagOf(node) !== "#comment");
}

function toValue(node: Node): RailsValue {
  const attributes = node[":@"] ?? {};
  const children = node[tagOf(node)] as Node[];
  if (attributes["nil"] === "true") return null;
  if (attributes["type"] === "array") return elements(children).map(toValue);
  const childElements = elements(children);
  if (childElements.length === 0) return decodeEntities(textOf(children));
  const object: { [tag: string]: RailsValue } = Object.create(null) as { [tag: string]: RailsValue };
  for (const child of childElements) object[tagOf(child)] = toValue(child);
  return object;
}

function textOf(children: Node[]): string {
  return children.map((child) => (typeof child["#text"] === "string" ? child["#text"] : "")).join("");
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#x([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos));/g, (whole, dec, hex, name) => {
    if (name) return NAMED[name as string] as string;
    const code = dec ? Number.parseInt(dec as string, 10) : Number.parseInt(hex as string, 16);
    if (code > 0x10ffff || code === 0) throw new XmlError(`invalid character reference ${whole}`);
    return String.fromCodePoint(code);
  });
}
