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
  assert.match(sorted.finish()[0]?.problem.what ?? "", /the same lines, but not sorted and distinct/, "byte for byte, even the order");
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

test("two schools listing a serial whose file holds one school's lines only (the last writer's) is told, naming both", () => {
  const ledger = new LaptopFileLedger();
  ledger.see(A, serial, lineA, lineA);
  ledger.see(B, serial, lineB, lineA);
  const [found] = ledger.finish();
  assert.equal(found?.problem.kind, "laptop-file-differs");
  assert.equal(
    found?.problem.what,
    "is not the sorted distinct lease lines of the 2 school files that list it, by-school/a.example.org, by-school/b.example.org (1 of 2 expected lease line(s) missing, 0 line(s) no school file holds)",
  );
  const unsorted = new LaptopFileLedger();
  unsorted.see(A, serial, lineA, lineB + lineA);
  unsorted.see(B, serial, lineB, lineB + lineA);
  assert.match(unsorted.finish()[0]?.problem.what ?? "", /not sorted and distinct/);
});

test("a laptop file that could not be read still counts as listed", () => {
  const ledger = new LaptopFileLedger();
  ledger.listedUnread(A, serial);
  assert.equal(ledger.has(serial), true);
  assert.deepEqual(ledger.finish(), []);
});
