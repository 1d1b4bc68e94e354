import assert from "node:assert/strict";
import { test } from "node:test";
import { laptopFileChanges } from "../../src/core/laptop-file-changes.js";

test("only the laptop files whose lines change are written: new and changed values, and serials dropped", () => {
  const previous = new Map([
    ["S1", "a"],
    ["S2", "b"],
    ["S3", "c"],
    ["S4", "d"],
  ]);
  const next = new Map([
    ["S1", "a"],
    ["S2", "B"],
    ["S5", "e"],
  ]);
  assert.deepEqual(laptopFileChanges(previous, next, ["S1", "S2", "S3", "S4"], new Set(["S4"])), {
    changed: ["S2", "S5"],
    dropped: ["S3"],
    unchanged: ["S1"],
  });
});

test("without the previous file every value is new; the listing still names what was dropped", () => {
  const next = new Map([["S1", "a"]]);
  assert.deepEqual(laptopFileChanges(undefined, next, ["S1", "S2"], new Set()), { changed: ["S1"], dropped: ["S2"], unchanged: [] });
});
