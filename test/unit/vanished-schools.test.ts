import assert from "node:assert/strict";
import { test } from "node:test";
import type { Hostname } from "../../src/core/domain.js";
import { planVanishedSchools, stillWrittenHere } from "../../src/core/vanished-schools.js";

const policy = { force: false, staleSeconds: 604800, maxShrinkPercent: 50, keyId: "0".repeat(64) };
const h = (name: string): Hostname => name as Hostname;

test("schools this state_dir wrote that inventario no longer lists are removed, unless too many at once", () => {
  assert.deepEqual(planVanishedSchools([h("b"), h("a"), h("c")], ["a", "c"], policy), { action: "remove", vanished: ["b"] });
  assert.deepEqual(planVanishedSchools([h("b"), h("a")], [], policy), { action: "hold", vanished: ["a", "b"], existing: 2 });
});

test("a vanished school's files are still this state_dir's when the record's digest matches the file", () => {
  const file = { sha256: "a".repeat(64), modifiedAt: new Date("2026-11-23T10:00:00Z") };
  assert.equal(stillWrittenHere({ file, writtenSha256: "a".repeat(64) }), true);
  assert.equal(stillWrittenHere({ file, writtenSha256: "b".repeat(64) }), false, "another configuration wrote it since");
  assert.equal(stillWrittenHere({ file: { ...file, sha256: undefined }, writtenSha256: "a".repeat(64) }), false, "a link in its place");
  assert.equal(stillWrittenHere({ writtenSha256: "a".repeat(64) }), true, "no file: nothing of anyone's to keep");
});

test("without a digest (the Ruby program's state), a file no newer than the checksum file is this state_dir's", () => {
  const file = { sha256: "a".repeat(64), modifiedAt: new Date("2026-11-23T10:00:00Z") };
  assert.equal(stillWrittenHere({ file, checksumWrittenAt: new Date("2026-11-23T10:00:00Z") }), true);
  assert.equal(stillWrittenHere({ file, checksumWrittenAt: new Date("2026-11-23T09:59:59Z") }), false, "written since");
  assert.equal(stillWrittenHere({ file }), false, "nothing says it is ours");
});
