// The documents stay true to the program and to each other: the configuration keys, their
// defaults and which are required are the same in src/core/config.ts, the example configuration,
// the man page and docs/configuration.md; every guide is reachable from the README, every
// relative link (and #anchor) in the README and the guides resolves; the README stays a front
// door; and no user-facing document tells the history of its figures.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { ConfigError, DEFAULTS, validateConfig } from "../../src/core/config.js";
import { ROOT } from "../support/harness.js";

const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const GUIDES = readdirSync(join(ROOT, "docs"))
  .filter((name) => name.endsWith(".md"))
  .map((name) => `docs/${name}`);
const DOCUMENTS = ["README.md", ...GUIDES];
const defaults: Readonly<Record<string, string>> = DEFAULTS;

/** The keys the program accepts, as src/core/config.ts lists them. */
function programKeys(): string[] {
  const list = /const KEYS = \[([^\]]*)\] as const/.exec(read("src/core/config.ts"))?.[1];
  assert.ok(list, "src/core/config.ts has its KEYS list");
  return [...list.matchAll(/"([a-z_]+)"/g)].map((match) => match[1] as string);
}

const sorted = (keys: Iterable<string>): string[] => [...new Set(keys)].sort();

/** docs/configuration.md's key table: key → its `required` and `default` cells. */
function guideTable(): Map<string, { required: string; fallback: string }> {
  const rows = new Map<string, { required: string; fallback: string }>();
  for (const line of read("docs/configuration.md").split("\n")) {
    const cells = /^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|([^|]*)\|([^|]*)\|/.exec(line);
    if (!cells) continue;
    for (const [, key] of (cells[1] as string).matchAll(/`([a-z_]+)`/g))
      rows.set(key as string, { required: (cells[2] as string).trim(), fallback: (cells[3] as string).trim().replace(/^`|`$/g, "") });
  }
  return rows;
}

/** The man page's CONFIGURATION section: key → its paragraph, as plain text. */
function manKeys(): Map<string, string> {
  const page = read("packaging/inventario-leasegen.1");
  const section = /\n\.SH CONFIGURATION\n([\s\S]*?)\n\.SH /.exec(page)?.[1];
  assert.ok(section, "the man page has a CONFIGURATION section");
  const plain = (text: string): string =>
    text
      .replace(/\\f[BIRP]/g, "")
      .replace(/\\-/g, "-")
      .replace(/^\.[A-Z]+ ?/gm, "")
      .replace(/"/g, "")
      .replace(/\s+/g, " ");
  const keys = new Map<string, string>();
  for (const [, key, text] of section.matchAll(/\n\.TP\n\.B ([a-z_]+)\n([\s\S]*?)(?=\n\.TP\n|$)/g))
    keys.set(key as string, plain(text as string));
  return keys;
}

/** The example configuration: key → its value, the commented-out defaults included. */
function exampleKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [, key, value] of read("etc/leasegen.conf.example").matchAll(/^#?([a-z_]+) = (.*)$/gm))
    keys.set(key as string, (value as string).replace(/^"(.*)"$|^'(.*)'$/, "$1$2"));
  return keys;
}

test("every configuration key is in the example, the man page and docs/configuration.md, and nothing else is", () => {
  const keys = sorted(programKeys());
  assert.ok(keys.length >= 17, keys.join(" "));
  assert.deepEqual(sorted(exampleKeys().keys()), keys, "etc/leasegen.conf.example");
  assert.deepEqual(sorted(manKeys().keys()), keys, "the man page's CONFIGURATION");
  assert.deepEqual(sorted(guideTable().keys()), keys, "docs/configuration.md's table");
  for (const path of ["packaging/inventario-leasegen.1", "docs/configuration.md"])
    assert.match(read(path), /last_run_file.{0,40}accepted and ignored/s, `${path} says last_run_file is ignored`);
});

test("each key's default is the program's, in the example, the man page and docs/configuration.md", () => {
  const example = exampleKeys();
  const man = manKeys();
  const table = guideTable();
  for (const key of programKeys()) {
    const fallback = defaults[key];
    if (fallback === undefined) {
      assert.equal(table.get(key)?.fallback, "", `docs/configuration.md: ${key} has no default`);
      assert.match(man.get(key) ?? "", /^ ?(Required\.|.*No default\.)/, `man page: ${key}`);
      continue;
    }
    assert.equal(example.get(key), fallback, `etc/leasegen.conf.example: #${key} = "${fallback}"`);
    assert.equal(table.get(key)?.fallback, fallback, `docs/configuration.md: ${key}`);
    assert.ok(man.get(key)?.includes(`Default: ${fallback}.`), `man page: ${key}: "Default: ${fallback}." in ${man.get(key)}`);
  }
});

test("the required keys are those the program requires, in docs/configuration.md and the man page", () => {
  const table = guideTable();
  const required = [...table].filter(([, row]) => row.required === "yes").map(([key]) => key);
  assert.deepEqual(sorted(required), ["pass", "signing_key_path", "site", "user"]);
  const minimal: Record<string, string> = {
    user: "u",
    pass: "p",
    site: "https://inventario.example.org/",
    signing_key_path: "/etc/keys/lease",
  };
  validateConfig(minimal);
  for (const key of required) {
    const without = Object.fromEntries(Object.entries(minimal).filter(([name]) => name !== key));
    assert.throws(
      () => validateConfig(without),
      (error) => error instanceof ConfigError && /missing required key/.test(error.message),
    );
    assert.match(manKeys().get(key) ?? "", /^ ?Required\./, `man page: ${key} is required`);
  }
  for (const [key, row] of table) if (!required.includes(key)) assert.equal(row.required, "no", key);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, heading] of withoutCodeBlocks(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = (heading as string)
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n += 1) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

/** Markdown without fenced or indented code blocks (a `#` there is no heading, brackets no link). */
function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, "").replace(/^( {4}|\t).*$/gm, "");
}

/** …and without code spans. */
function withoutCode(markdown: string): string {
  return withoutCodeBlocks(markdown).replace(/`[^`\n]*`/g, "");
}

function relativeLinks(path: string): string[] {
  const links = [...withoutCode(read(path)).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string);
  return links.filter((link) => !/^[a-z]+:/.test(link));
}

test("every guide in docs/ is linked from the README", () => {
  assert.ok(GUIDES.length >= 10, GUIDES.join(" "));
  const linked = new Set(relativeLinks("README.md").map((link) => link.replace(/#.*/, "")));
  for (const guide of GUIDES) assert.ok(linked.has(guide), `README.md links ${guide}`);
});

test("every relative link in the README and the guides resolves, #anchors included", () => {
  let checked = 0;
  for (const document of DOCUMENTS) {
    for (const link of relativeLinks(document)) {
      const [file = "", anchor] = link.split("#");
      const target = file === "" ? document : relative(ROOT, join(ROOT, dirname(document), file));
      assert.ok(existsSync(join(ROOT, target)), `${document}: ${link}: no ${target}`);
      if (anchor !== undefined) assert.ok(anchorsOf(read(target)).has(anchor), `${document}: ${link}: no heading #${anchor} in ${target}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 40, `${checked} links checked`);
});

test("the README is a front door: at most 200 lines, and each guide starts by saying what it is for", () => {
  assert.ok(read("README.md").split("\n").length <= 200);
  for (const guide of GUIDES) assert.match(read(guide), /^# .+\n\nThis guide is for /, guide);
});

test("no user-facing document tells how its figures were reached, or speaks of earlier versions of the program", () => {
  for (const document of [...DOCUMENTS, "packaging/inventario-leasegen.1"]) {
    const text = read(document);
    assert.doesNotMatch(text, /\bthis morning\b|\bfigures of the same morning\b/i, document);
    assert.doesNotMatch(text, /\bthe program (of|as of) \d{4}|\bbefore the last change\b|\buntil \d{4}-\d\d-\d\d\b/i, document);
  }
});
