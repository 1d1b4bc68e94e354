// Reads the XML that Rails' `to_xml` produces into plain values: the root element's name is
// ignored, `type="array"` makes an array (even of zero or one element), `nil="true"` makes null,
// any other element is an object of its children or, without children, its decoded text.
// Rails' `to_xml` never repeats an element of a hash, so a name repeated among the children of
// an element that is not an array makes the document malformed: read as "the last one wins", a
// second <serial-number> in a stolen laptop's entry, or a second, empty <serials-uuids>, would
// silently replace the first.
//
// A strict scanner of the subset Rails writes (declaration, elements, attributes, text,
// character and entity references, comments), not a general XML parser: a no-change run parses
// every school's answer, and fast-xml-parser with its validator took over 40% of such a run's
// CPU. The tests check it against fast-xml-parser on the fixtures and on thousands of damaged
// documents: whatever this accepts, fast-xml-parser accepts and reads to the same values.

import { shorten } from "./domain.js";

export type RailsValue = string | null | RailsValue[] | { [tag: string]: RailsValue };

export class XmlError extends Error {}

/** Deeper than any Rails answer; stops hostile nesting from exhausting the stack. */
const MAX_DEPTH = 32;

const NAME = /[A-Za-z_][A-Za-z0-9_.:-]*/y;
const SPACE = /[ \t\r\n]*/y;
const ATTRIBUTE = /[ \t\r\n]+([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y;
const DECLARATION =
  /<\?xml[ \t\r\n]+version=(["'])1\.[0-9]\1(?:[ \t\r\n]+encoding=(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\r\n]+standalone=(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/y;
const TEXT = /[^<]*/y;
const NOT_RAILS = "DTDs, CDATA and processing instructions are not part of inventario's answers";
const COMMENT = /<!--(?:[^-]|-(?!-))*-->/y;

/** Parses one Rails XML document; throws XmlError if it is not one. */
export function parseRailsXml(xml: string): RailsValue {
  return new Scanner(xml).document();
}

interface Element {
  readonly attributes: Map<string, string>;
  readonly children: [string, RailsValue][];
  text: string;
}

class Scanner {
  private at = 0;

  constructor(private readonly xml: string) {}

  document(): RailsValue {
    if (this.xml.charCodeAt(0) === 0xfeff) this.at = 1;
    this.match(DECLARATION);
    this.misc();
    if (this.xml.startsWith("<!", this.at)) this.fail(NOT_RAILS);
    if (this.xml[this.at] !== "<") this.fail("expected the root element");
    const [, root] = this.element(0);
    this.misc();
    if (this.at !== this.xml.length) this.fail("content after the root element");
    return root;
  }

  /** Whitespace and comments between elements. */
  private misc(): void {
    do this.match(SPACE);
    while (this.match(COMMENT) !== undefined);
  }

  private element(depth: number): [string, RailsValue] {
    if (depth > MAX_DEPTH) this.fail(`elements nested deeper than ${MAX_DEPTH}`);
    this.at += 1; // "<"
    const name = this.match(NAME) ?? this.fail("expected an element name");
    const element: Element = { attributes: new Map(), children: [], text: "" };
    for (let attribute = this.exec(ATTRIBUTE); attribute; attribute = this.exec(ATTRIBUTE)) {
      const attributeName = attribute[1] as string;
      if (element.attributes.has(attributeName)) this.fail(`attribute ${attributeName} repeated`);
      element.attributes.set(attributeName, decodeEntities(attribute[2] ?? attribute[3] ?? "", this));
    }
    this.match(SPACE);
    if (this.xml.startsWith("/>", this.at)) {
      this.at += 2;
      return [name, valueOf(element, this)];
    }
    if (this.xml[this.at] !== ">") this.fail(`malformed start tag ${tag(name)}`);
    this.at += 1;
    this.content(name, element, depth);
    return [name, valueOf(element, this)];
  }

  private content(name: string, element: Element, depth: number): void {
    // The children's names, where they must be distinct (not in an array).
    const names = element.attributes.get("type") === "array" ? undefined : new Set<string>();
    for (;;) {
      element.text += decodeEntities(this.match(TEXT) ?? "", this);
      if (this.at >= this.xml.length) this.fail(`${tag(name)} is not closed`);
      if (this.xml.startsWith("</", this.at)) {
        this.at += 2;
        if (this.match(NAME) !== name) this.fail(`expected ${tag(`/${name}`)}`);
        this.match(SPACE);
        if (this.xml[this.at] !== ">") this.fail(`malformed end tag ${tag(`/${name}`)}`);
        this.at += 1;
        return;
      }
      if (this.xml.startsWith("<!--", this.at)) {
        if (this.match(COMMENT) === undefined) this.fail("malformed comment");
        continue;
      }
      if (this.xml.startsWith("<!", this.at) || this.xml.startsWith("<?", this.at)) {
        this.fail(NOT_RAILS);
      }
      const child = this.element(depth + 1);
      if (names?.has(child[0])) this.fail(`${tag(child[0])} repeated in ${tag(name)}, which is not an array`);
      names?.add(child[0]);
      element.children.push(child);
    }
  }

  /** Matches the sticky `pattern` here and moves past it. */
  private exec(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.xml);
    if (found !== null) this.at = pattern.lastIndex;
    return found;
  }

  private match(pattern: RegExp): string | undefined {
    return this.exec(pattern)?.[0];
  }

  fail(why: string): never {
    const line = this.xml.slice(0, this.at).split("\n").length;
    throw new XmlError(`malformed XML at line ${line}: ${why}`);
  }
}

function valueOf(element: Element, scanner: Scanner): RailsValue {
  if (element.attributes.get("nil") === "true") return null;
  if (element.attributes.get("type") === "array") return element.children.map(([, value]) => value);
  if (element.children.length === 0) return element.text;
  if (element.text.trim() !== "") scanner.fail("text mixed with elements");
  const object: { [tag: string]: RailsValue } = Object.create(null) as { [tag: string]: RailsValue };
  for (const [tag, value] of element.children) object[tag] = value;
  return object;
}

/** An element's name as an error shows it: a hostile document's names can be of any length. */
function tag(name: string): string {
  return `<${shorten(name, 40)}>`;
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Decodes references in one pass, so `&amp;#65;` stays `&#65;`; a bare `&` is an error. */
function decodeEntities(text: string, scanner: Scanner): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(?:#(\d{1,7})|#x([0-9A-Fa-f]{1,6})|(amp|lt|gt|quot|apos))?(;?)/g, (whole, dec, hex, name, semicolon) => {
    if (semicolon !== ";" || (dec === undefined && hex === undefined && name === undefined)) scanner.fail(`bad reference ${whole}`);
    if (name) return NAMED[name as string] as string;
    const code = dec ? Number.parseInt(dec as string, 10) : Number.parseInt(hex as string, 16);
    if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) scanner.fail(`invalid character reference ${whole}`);
    return String.fromCodePoint(code);
  });
}
