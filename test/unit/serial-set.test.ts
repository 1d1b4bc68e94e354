import assert from "node:assert/strict";
import { test } from "node:test";
import type { Serial } from "../../src/core/domain.js";
import { SerialSet } from "../../src/core/serial-set.js";
import { laptop } from "../support/datasets.js";

test("holds exactly the serials added, across buckets, including the extremes", () => {
  const set = new SerialSet();
  const added = ["SHC12345678", "ZZZZZZZZZZZ", "00000000000", "SHC12345679", "SHD12345678", "A0000000078"] as Serial[];
  for (const serial of added) set.add(serial);
  for (const serial of added) assert.equal(set.has(serial), true, serial);
  for (const serial of ["SHC12345677", "ZZZZZZZZZZY", "00000000001", "SHC12345688", "B0000000078"] as Serial[]) {
    assert.equal(set.has(serial), false, serial);
  }
});

test("agrees with a Set on thousands of serials, adds after lookups included", () => {
  const set = new SerialSet();
  const reference = new Set<string>();
  for (let i = 0; i < 5000; i += 3) {
    const serial = laptop(i).serial as Serial;
    set.add(serial);
    reference.add(serial);
    if (i % 999 === 0) assert.equal(set.has(serial), true);
  }
  for (let i = 0; i < 5000; i += 1) assert.equal(set.has(laptop(i).serial as Serial), reference.has(laptop(i).serial), laptop(i).serial);
});
