#!/usr/bin/env node
// Writes the licence texts of every package bundled into dist/ (the production dependency tree
// of package-lock.json), taken from each installed package's own files, for the RPM's %license.
//
//   node packaging/third-party-licenses.mjs [--root DIR] [--out FILE]   the licence file
//   node packaging/third-party-licenses.mjs --provides                  spec lines: Provides: bundled(nodejs-…)
//   node packaging/third-party-licenses.mjs --licenses                  the SPDX ids, one per line
//
// Where a package ships no licence file, the "License" section of its README is used; failing
// that, the standard text of its declared licence with the author from its package.json (each
// such case says so in the output). An unknown licence without any text is an error.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

const STANDARD = {
  MIT: (holder) =>
    `MIT License\n\nCopyright (c) ${holder}\n\n` +
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated\n" +
    'documentation files (the "Software"), to deal in the Software without restriction, including without limitation\n' +
    "the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and\n" +
    "to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\n" +
    "The above copyright notice and this permission notice shall be included in all copies or substantial portions of\n" +
    "the Software.\n\n" +
    'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO\n' +
    "THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\n" +
    "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF\n" +
    "CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS\n" +
    "IN THE SOFTWARE.\n",
  ISC: (holder) =>
    `ISC License\n\nCopyright (c) ${holder}\n\n` +
    "Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby\n" +
    "granted, provided that the above copyright notice and this permission notice appear in all copies.\n\n" +
    'THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS SOFTWARE INCLUDING\n' +
    "ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL,\n" +
    "DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS,\n" +
    "WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE\n" +
    "USE OR PERFORMANCE OF THIS SOFTWARE.\n",
};

/** The production packages of package-lock.json (lockfile v2/v3), installed under `root`. */
export function bundledPackages(root) {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  if (!lock.packages) throw new Error("package-lock.json has no 'packages' map (lockfileVersion >= 2 needed)");
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== "" && !entry.dev && !entry.link)
    .map(([path, entry]) => {
      const dir = join(root, path);
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (manifest.version !== entry.version) throw new Error(`${path} is ${manifest.version}, the lock says ${entry.version}: run npm ci`);
      return { name: manifest.name, version: manifest.version, path, dir, license: declaredLicense(manifest), manifest };
    })
    .sort((a, b) => (a.name === b.name ? a.path.localeCompare(b.path) : a.name < b.name ? -1 : 1));
}

function declaredLicense(manifest) {
  if (typeof manifest.license === "string") return manifest.license;
  if (manifest.license && typeof manifest.license.type === "string") return manifest.license.type;
  if (Array.isArray(manifest.licenses)) return manifest.licenses.map((l) => l.type ?? l).join(" OR ");
  return "UNKNOWN";
}

function authorOf(manifest) {
  const author = manifest.author;
  if (!author) return undefined;
  return (typeof author === "string" ? author : author.name)?.replace(/\s*[<(].*$/, "");
}

function readmeLicenceSection(dir) {
  const readme = readdirSync(dir).find((f) => /^readme(\.md|\.markdown|\.txt)?$/i.test(f));
  if (!readme) return undefined;
  const lines = readFileSync(join(dir, readme), "utf8").split("\n");
  const start = lines.findIndex((line, i) => /^#*\s*licen[cs]e\s*$/i.test(line) || (/^licen[cs]e\s*$/i.test(line) && /^-+$/.test(lines[i + 1] ?? "")));
  if (start < 0) return undefined;
  const body = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#/.test(line) || /^\[[^\]]+\]:\s/.test(line)) break;
    body.push(line);
  }
  const text = body.join("\n").replace(/^-+\n/, "").trim();
  // A bare "MIT" is a declaration, not a licence text.
  return text.length >= 200 ? `${text.replace(/&lt;/g, "<").replace(/&gt;/g, ">")}\n` : undefined;
}

/** The licence texts of one package, each with where it came from. */
export function licenceTexts(pkg) {
  const files = readdirSync(pkg.dir)
    .filter((f) => LICENCE_FILE.test(f))
    .sort();
  if (files.length > 0) return files.map((f) => ({ source: f, text: readFileSync(join(pkg.dir, f), "utf8") }));
  const section = readmeLicenceSection(pkg.dir);
  if (section) return [{ source: "README (the package ships no licence file)", text: section }];
  const standard = STANDARD[pkg.license];
  const holder = authorOf(pkg.manifest);
  if (standard && holder)
    return [{ source: `standard ${pkg.license} text, holder from package.json "author" (the package ships no licence file)`, text: standard(holder) }];
  throw new Error(`${pkg.name}@${pkg.version} (${pkg.path}): no licence file, no README licence section, licence ${pkg.license}`);
}

export function licenceDocument(root) {
  const own = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const packages = bundledPackages(root);
  const out = [
    `Third-party software bundled in ${own.name} ${own.version}`,
    "",
    "The program is one JavaScript bundle (/var/inventario-leasegen/lib/*.js) made by @vercel/ncc from",
    `the project's sources and the ${packages.length} npm packages below (the production dependency tree of`,
    "package-lock.json). Each package's licence text follows, as the package ships it.",
    "",
    ...packages.map((p) => `  ${p.name} ${p.version} (${p.license})`),
    "",
  ];
  for (const pkg of packages) {
    out.push("=".repeat(100), `Package: ${pkg.name} ${pkg.version}`, `License: ${pkg.license}`, `Path: ${pkg.path}`);
    for (const { source, text } of licenceTexts(pkg)) out.push(`--- ${source} ---`, "", text.trimEnd(), "");
  }
  return `${out.join("\n")}\n`;
}

function main(argv) {
  let root = process.cwd();
  let out;
  let mode = "document";
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === "--root") root = resolve(argv[++i]);
    else if (argv[i] === "--out") out = argv[++i];
    else if (argv[i] === "--provides" || argv[i] === "--licenses") mode = argv[i].slice(2);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  let text;
  if (mode === "provides") text = bundledPackages(root).map((p) => `Provides:       bundled(nodejs-${p.name}) = ${p.version}\n`);
  else if (mode === "licenses") text = [...new Set(bundledPackages(root).map((p) => p.license))].sort().map((l) => `${l}\n`);
  else text = [licenceDocument(root)];
  if (out) writeFileSync(out, text.join(""));
  else process.stdout.write(text.join(""));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`third-party-licenses: ${error.message}\n`);
    process.exit(1);
  }
}
