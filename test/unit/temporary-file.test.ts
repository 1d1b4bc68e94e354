import assert from "node:assert/strict";
import { basename } from "node:path";
import { test } from "node:test";
import writeFileAtomic from "write-file-atomic";
import { parseHostname, parseSerial } from "../../src/core/domain.js";
import { ownTemporaryTarget, schoolTemporaryTarget, temporaryFileTarget } from "../../src/core/temporary-file.js";

/** write-file-atomic's own naming (its exported test hook), so that a change of it fails here. */
const tmpnameOf = (writeFileAtomic as unknown as { _getTmpname: (name: string) => string })._getTmpname;

test("write-file-atomic's temporary files (left by earlier builds) are recognised, whatever their number", () => {
  for (let i = 0; i < 2000; i += 1) {
    const name = basename(tmpnameOf(`/leases/by-laptop/01/SHC0000000${i % 10}`));
    const expected = `SHC0000000${i % 10}`;
    // One in about 40,000 hashes has fewer than 5 digits: such a file is left for verify to name.
    if (/\.\d{1,4}$/.test(name)) continue;
    assert.equal(temporaryFileTarget(name), expected, name);
  }
});

test("this program's temporary files are recognised by a leading dot, which no school's or laptop's file name has", () => {
  assert.equal(temporaryFileTarget("SHC00000001.3735928559"), "SHC00000001");
  assert.equal(temporaryFileTarget(".stolen.csv.1234-5.tmp"), "stolen.csv");
  assert.equal(ownTemporaryTarget(".escuela.1234567.99-4294967297.tmp"), "escuela.1234567");
  assert.equal(ownTemporaryTarget("escuela.1234567"), undefined);
  assert.equal(parseHostname(".escuela.1234567.99-1.tmp").ok, false, "no school can be named like one");
  assert.equal(parseSerial(".SHC00000001.99-1.tmp").ok, false);
  assert.equal(temporaryFileTarget("10.1.2.123456"), "10.1.2", "the shape only: callers check the target is theirs");
  for (const name of ["SHC00000001", "leasegen.log", "leasegen.log.1", "stolen.csv", "10.1.2.3", "school.2024", "x.12345678901"])
    assert.equal(temporaryFileTarget(name), undefined, name);
});

test("under by-school/, write-file-atomic's shape is a temporary file only beside its school's file and when the name is no school's", () => {
  const names = new Set(["escuela", "escuela.1234567", "torn.55555", "torn", "alone.12345"]);
  const schools = new Set(["escuela", "escuela.1234567", "torn"]);
  const directory = { names, isSchool: (name: string) => schools.has(name) };
  assert.equal(schoolTemporaryTarget("escuela.1234567", directory), undefined, "a school (listed, owned, or a school file)");
  assert.equal(schoolTemporaryTarget("torn.55555", directory), "torn");
  assert.equal(schoolTemporaryTarget("alone.12345", directory), undefined, "no school alone beside it");
  assert.equal(schoolTemporaryTarget(".escuela.1234567.7-8.tmp", directory), "escuela.1234567");
  assert.equal(schoolTemporaryTarget("escuela", directory), undefined);
});
