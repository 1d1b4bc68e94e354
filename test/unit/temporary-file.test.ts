import assert from "node:assert/strict";
import { basename } from "node:path";
import { test } from "node:test";
import writeFileAtomic from "write-file-atomic";
import { temporaryFileTarget } from "../../src/core/temporary-file.js";

/** write-file-atomic's own naming (its exported test hook), so that a change of it fails here. */
const tmpnameOf = (writeFileAtomic as unknown as { _getTmpname: (name: string) => string })._getTmpname;

test("write-file-atomic's temporary files are recognised, whatever their number", () => {
  for (let i = 0; i < 2000; i += 1) {
    const name = basename(tmpnameOf(`/leases/by-laptop/01/SHC0000000${i % 10}`));
    const expected = `SHC0000000${i % 10}`;
    // One in about 40,000 hashes has fewer than 5 digits: such a file is left for verify to name.
    if (/\.\d{1,4}$/.test(name)) continue;
    assert.equal(temporaryFileTarget(name), expected, name);
  }
});

test("version 1.0's temporary files are recognised; names a school or laptop may have are not", () => {
  assert.equal(temporaryFileTarget("SHC00000001.3735928559"), "SHC00000001");
  assert.equal(temporaryFileTarget(".stolen.csv.1234-5.tmp"), "stolen.csv");
  assert.equal(temporaryFileTarget("10.1.2.123456"), "10.1.2", "the shape only: callers check the target is theirs");
  for (const name of ["SHC00000001", "leasegen.log", "leasegen.log.1", "stolen.csv", "10.1.2.3", "school.2024", "x.12345678901"])
    assert.equal(temporaryFileTarget(name), undefined, name);
});
