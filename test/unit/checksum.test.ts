import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { checksumFileText, readChecksumFile, schoolChecksum } from "../../src/core/checksum.js";
import { readLeaseInfo } from "../../src/core/inventario-answers.js";
import { parseRailsXml } from "../../src/core/rails-xml.js";
import { FIXTURES } from "../support/keys.js";

test("the SPEC's three MD5 vectors", () => {
  assert.equal(schoolChecksum([]), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(
    schoolChecksum([
      { serial: "SHC2", uuid: "U2" },
      { serial: "SHC1", uuid: "U1" },
    ]),
    "171d5fb2a4081514a889fab22a0bb746",
  );
  const fixture = readLeaseInfo(parseRailsXml(readFileSync(join(FIXTURES, "lease_info.xml"), "utf8")));
  assert.equal(schoolChecksum(fixture.laptops), "ce3c66e97ca1b9c51774d2caef48235e");
});

test("order does not matter, duplicates do", () => {
  const a = { serial: "SHC1", uuid: "U1" };
  const b = { serial: "SHC2", uuid: "U2" };
  assert.equal(schoolChecksum([a, b]), schoolChecksum([b, a]));
  assert.notEqual(schoolChecksum([a, b]), schoolChecksum([a, b, a]));
});

test("checksum files: written with a newline, read whether or not the Ruby program added one", () => {
  assert.equal(checksumFileText("d41d8cd98f00b204e9800998ecf8427e"), "d41d8cd98f00b204e9800998ecf8427e\n");
  assert.equal(readChecksumFile("d41d8cd98f00b204e9800998ecf8427e\n"), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(readChecksumFile("d41d8cd98f00b204e9800998ecf8427e"), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(readChecksumFile(""), undefined);
  assert.equal(readChecksumFile("garbage"), undefined);
});
