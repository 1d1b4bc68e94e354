// What belongs under leases_dir, and what each other entry is called.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkRootEntry, classifyBucket, classifyLaptopEntry, classifySchoolEntry, type TreeEntry } from "../../src/core/lease-tree.js";

const file = (name: string): TreeEntry => ({ name, type: "file" });
const kindOf = (result: object): string => ("kind" in result ? (result.kind as string) : "ok");

test("by-school/: school files; temporary files of both writers; everything else is stray", () => {
  const names = new Set(["a.example.org", "a.example.org.3735928559", ".a.example.org.123-4.tmp", "README", "b.example.org.42"]);
  const directory = { names, isSchool: () => false };
  assert.deepEqual(classifySchoolEntry(file("a.example.org"), directory), { hostname: "a.example.org" });
  assert.equal(kindOf(classifySchoolEntry(file("a.example.org.3735928559"), directory)), "temporary-file");
  assert.equal(kindOf(classifySchoolEntry(file(".a.example.org.123-4.tmp"), directory)), "temporary-file");
  assert.equal(
    kindOf(classifySchoolEntry(file("b.example.org.42"), directory)),
    "ok",
    "with no school b.example.org beside it, it may be a school named so (hostnames may end in digits): read as one",
  );
  const orphanOfRefused = classifySchoolEntry(file("-b.example.org.42"), { names: new Set<string>(), isSchool: () => false });
  assert.equal(kindOf(orphanOfRefused), "stray-file", "not a school name, nor one of a school");
  const readme = classifySchoolEntry(file("README"), directory);
  assert.equal(kindOf(readme), "ok", "README is a valid DNS label, so it reads as a school file; its JSON check names it");
  assert.equal(kindOf(classifySchoolEntry(file("..x"), directory)), "stray-file");
  assert.equal(kindOf(classifySchoolEntry({ name: "c.example.org", type: "symlink" }, directory)), "stray-file");
  assert.match(
    (classifySchoolEntry({ name: "c.example.org", type: "symlink" }, directory) as { what: string }).what,
    /symbolic link .*not followed/,
  );
  assert.equal(kindOf(classifySchoolEntry({ name: "c.example.org", type: "directory" }, directory)), "stray-file");
});

test("by-school/: a school's name of write-file-atomic's shape is never a temporary file, beside its namesake or not", () => {
  const names = new Set(["escuela", "escuela.1234567", "xs", "xs.98765"]);
  // Listed by inventario, or with a checksum in state_dir, or a file that reads as a school file.
  const schools = new Set(["escuela", "escuela.1234567", "xs", "xs.98765"]);
  const directory = { names, isSchool: (name: string) => schools.has(name) };
  assert.deepEqual(classifySchoolEntry(file("escuela.1234567"), directory), { hostname: "escuela.1234567" });
  assert.deepEqual(classifySchoolEntry(file("xs.98765"), directory), { hostname: "xs.98765" });
  assert.equal(
    kindOf(classifySchoolEntry(file(".xs.98765.12-3.tmp"), directory)),
    "temporary-file",
    "ours: no school's name starts with .",
  );
});

test("by-laptop/: two-character bucket directories only", () => {
  assert.deepEqual(classifyBucket({ name: "01", type: "directory" }), { bucket: "01" });
  assert.equal(kindOf(classifyBucket({ name: "1", type: "directory" })), "stray-file");
  assert.equal(kindOf(classifyBucket({ name: "ab", type: "directory" })), "stray-file");
  assert.equal(kindOf(classifyBucket(file("01"))), "stray-file");
  assert.equal(kindOf(classifyBucket({ name: "01", type: "symlink" })), "stray-file");
  assert.equal(kindOf(classifyBucket(file(".x.1-2.tmp"))), "temporary-file");
});

test("by-laptop/<bucket>/: a laptop file in its bucket; the wrong bucket, temporaries and strays are named", () => {
  assert.deepEqual(classifyLaptopEntry("01", file("SHC00000001")), { serial: "SHC00000001" });
  assert.deepEqual(classifyLaptopEntry("02", file("SHC00000001")), {
    kind: "wrong-bucket",
    what: "in the wrong bucket: it belongs in by-laptop/01/",
  });
  assert.equal(kindOf(classifyLaptopEntry("01", file("SHC00000001.1234567"))), "temporary-file");
  assert.equal(kindOf(classifyLaptopEntry("01", file(".SHC00000001.99-1.tmp"))), "temporary-file");
  assert.equal(kindOf(classifyLaptopEntry("01", file("shc00000001"))), "stray-file");
  assert.equal(kindOf(classifyLaptopEntry("01", file("notes.txt"))), "stray-file");
  assert.equal(kindOf(classifyLaptopEntry("01", { name: "SHC00000001", type: "symlink" })), "stray-file");
  assert.equal(kindOf(classifyLaptopEntry("01", { name: "SHC00000001", type: "other" })), "stray-file");
});

test("leases_dir itself: only the stolen lists' temporaries are a problem", () => {
  assert.equal(checkRootEntry(file("stolen.list")), undefined);
  assert.equal(checkRootEntry(file("README")), undefined);
  assert.equal(checkRootEntry({ name: "by-school", type: "directory" }), undefined);
  assert.equal(checkRootEntry(file("stolen.csv.12345"))?.kind, "temporary-file");
  assert.equal(checkRootEntry(file(".stolen.list.12-3.tmp"))?.kind, "temporary-file");
});
