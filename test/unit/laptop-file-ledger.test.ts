// What a by-laptop file must hold: its school's value, byte for byte; for a serial two schools
// list, the distinct lines of both, sorted (issue 11 §1), whichever school is seen first.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Hostname, Serial } from "../../src/core/domain.js";
import { LaptopFileLedger } from "../../src/core/laptop-file-ledger.js";

const A = "a.example.org" as Hostname;
const B = "b.example.org" as Hostname;
const serial = "SHC00000001" as Serial;
const [lineA, lineB, lineC] = ["act01: A\n", "act01: B\n", "act01: C\n"];

test("a laptop file identical to its school's value is settled at once", () => {
  const ledger = new LaptopFileLedger();
  assert.equal(ledger.has(serial), false);
  assert.equal(ledger.see(A, serial, lineA + lineB, lineA + lineB), undefined);
  assert.equal(ledger.has(serial), true);
  assert.equal(ledger.size, 1);
  assert.deepEqual(ledger.finish(), []);
});

test("a missing laptop file is told once, however many schools list it", () => {
  const ledger = new LaptopFileLedger();
  assert.deepEqual(ledger.see(A, serial, lineA, undefined), {
    kind: "missing-laptop-file",
    what: "no by-laptop file, though by-school/a.example.org lists it",
  });
  assert.equal(ledger.see(B, serial, lineB, undefined), undefined);
  assert.deepEqual(ledger.finish(), []);
});

test("a laptop file that differs from its one school's value is told at the end, naming the school", () => {
  const ledger = new LaptopFileLedger();
  assert.equal(ledger.see(A, serial, lineA, lineC), undefined);
  assert.deepEqual(ledger.finish(), [
    {
      serial,
      problem: {
        kind: "laptop-file-differs",
        what: "differs from its lease in by-school/a.example.org (1 of 1 expected lease line(s) missing, 1 line(s) no school file holds)",
      },
    },
  ]);
  const sorted = new LaptopFileLedger();
  sorted.see(A, serial, lineB + lineA, lineA + lineB);
  const [reordered] = sorted.finish();
  assert.match(reordered?.problem.what ?? "", /the same lines, but not sorted and distinct/, "byte for byte, even the order");
  assert.equal(reordered?.problem.kind, "laptop-file-not-canonical", "the same lines: a notice");
});

test("two schools listing a serial: its file holds both schools' distinct lines, sorted, in either order of seeing", () => {
  for (const [first, second] of [
    [A, B],
    [B, A],
  ] as const) {
    const ledger = new LaptopFileLedger();
    const value = (hostname: Hostname): string => (hostname === A ? lineA + lineC : lineB + lineC);
    ledger.see(first, serial, value(first), lineA + lineB + lineC);
    ledger.see(second, serial, value(second), lineA + lineB + lineC);
    assert.deepEqual(ledger.finish(), [], `${first} first`);
  }
});

test("two schools listing a serial whose file holds one school's lines only (the last writer's, as the Ruby program left it) is a notice, naming both", () => {
  const ledger = new LaptopFileLedger();
  ledger.see(A, serial, lineA, lineA);
  ledger.see(B, serial, lineB, lineA);
  const [found] = ledger.finish();
  assert.equal(found?.problem.kind, "laptop-file-not-canonical");
  assert.equal(
    found?.problem.what,
    "is not the sorted distinct lease lines of the 2 school files that list it, by-school/a.example.org, by-school/b.example.org (1 of 2 expected lease line(s) missing, 0 line(s) no school file holds); every line it holds is one a school file holds for it, so no laptop is locked or unlocked by it",
  );
  assert.deepEqual(found?.problem.schools, [A], "forcing one of them writes every school's lines");
  const unsorted = new LaptopFileLedger();
  unsorted.see(A, serial, lineA, lineB + lineA);
  unsorted.see(B, serial, lineB, lineB + lineA);
  const [reordered] = unsorted.finish();
  assert.match(reordered?.problem.what ?? "", /not sorted and distinct/);
  assert.equal(reordered?.problem.kind, "laptop-file-not-canonical");
});

test("a laptop file missing a line it needs, or holding one no school file holds, is a problem", () => {
  const uuid1 = "8BF9AC40-26F8-4BCC-A699-BE51FD366419";
  const uuid2 = "AAAAAAAA-26F8-4BCC-A699-BE51FD366419";
  // Two UUIDs recorded for the serial (one per school): the missing line may be the laptop's only one.
  const twoUuids = new LaptopFileLedger();
  twoUuids.see(A, serial, lineA, lineA, [uuid1]);
  twoUuids.see(B, serial, lineB, lineA, [uuid2]);
  assert.equal(twoUuids.finish()[0]?.problem.kind, "laptop-file-differs");
  // The same UUID in both records: a notice.
  const oneUuid = new LaptopFileLedger();
  oneUuid.see(A, serial, lineA, lineA, [uuid1]);
  oneUuid.see(B, serial, lineB, lineA, [uuid1]);
  assert.equal(oneUuid.finish()[0]?.problem.kind, "laptop-file-not-canonical");
  // No record (the Ruby program's), but a school holds two lines for it: two UUIDs.
  const severalLines = new LaptopFileLedger();
  severalLines.see(A, serial, lineA, lineA);
  severalLines.see(B, serial, lineB + lineC, lineA);
  assert.equal(severalLines.finish()[0]?.problem.kind, "laptop-file-differs");
  const extra = new LaptopFileLedger();
  extra.see(A, serial, lineA, lineA);
  extra.see(B, serial, lineB, lineA + lineC);
  assert.equal(extra.finish()[0]?.problem.kind, "laptop-file-differs", "a line no school file holds");
  const empty = new LaptopFileLedger();
  empty.see(A, serial, lineA, "");
  assert.equal(empty.finish()[0]?.problem.kind, "laptop-file-differs");
});

test("a laptop file that could not be read still counts as listed", () => {
  const ledger = new LaptopFileLedger();
  ledger.listedUnread(A, serial);
  assert.equal(ledger.has(serial), true);
  assert.deepEqual(ledger.finish(), []);
});
