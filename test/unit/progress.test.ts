// The run's progress line: what it says (pure), and how it is drawn on a terminal: over itself,
// at most ten times a second, error lines above it, erased at the end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { progressAfter, progressLine, startProgress } from "../../src/core/progress.js";
import { ProgressLine, type ProgressClock } from "../../src/io/progress-line.js";

test("the line: schools done of total, leases signed, rate, time left", () => {
  assert.equal(progressLine(startProgress(250), 0), "0/250 schools, 0 leases signed");
  assert.equal(
    progressLine({ schoolsDone: 1, schoolsTotal: 250, leasesSigned: 200 }, 0.5),
    "1/250 schools, 200 leases signed",
    "no guess in the first second",
  );
  const progress = { schoolsDone: 120, schoolsTotal: 250, leasesSigned: 24_000 };
  assert.equal(progressLine(progress, 12), "120/250 schools, 24,000 leases signed, 2,000/s, about 13 s left");
  assert.equal(progressLine(progress, 120), "120/250 schools, 24,000 leases signed, 200/s, about 2 min 10 s left");
  assert.equal(progressLine({ ...progress, schoolsDone: 1 }, 30), "1/250 schools, 24,000 leases signed, 800/s, about 2 h 4 min left");
  assert.equal(progressLine({ ...progress, schoolsDone: 250 }, 12), "250/250 schools, 24,000 leases signed, 2,000/s", "nothing left");
  assert.equal(progressLine({ schoolsDone: 3, schoolsTotal: 5, leasesSigned: 0 }, 2), "3/5 schools, 0 leases signed, about 1 s left");
});

test("each outcome counts a school, and a regenerated one its leases", () => {
  let progress = startProgress(3);
  progress = progressAfter(progress, { status: "up to date", hostname: "a", laptops: 5, ms: 1 });
  progress = progressAfter(progress, {
    status: "regenerated",
    hostname: "b",
    reason: "forced",
    laptops: 7,
    signed: 6,
    kept: 0,
    laptopFiles: 6,
    schoolFileWritten: true,
    expiry: "x",
    ms: 1,
  });
  progress = progressAfter(progress, { status: "failed", hostname: "c", error: "e", ms: 1 });
  assert.deepEqual(progress, { schoolsDone: 3, schoolsTotal: 3, leasesSigned: 6 });
});

/** A clock the test moves by hand, with the refresh timer the test fires. */
function fakeClock(): ProgressClock & { advance(ms: number): void; timers: number } {
  let now = 0;
  const ticks = new Set<() => void>();
  return {
    now: () => now,
    every: (_ms, tick) => {
      ticks.add(tick);
      return () => ticks.delete(tick);
    },
    advance(ms: number) {
      for (let step = 0; step < ms; step += 100) {
        now += 100;
        for (const tick of ticks) tick();
      }
    },
    get timers() {
      return ticks.size;
    },
  };
}

test("drawn over itself at most every 100 ms, whatever the number of updates", () => {
  const written: string[] = [];
  const clock = fakeClock();
  const line = new ProgressLine(
    (text) => written.push(text),
    () => 80,
    clock,
  );
  let progress = startProgress(1000);
  for (let i = 0; i < 50; i += 1) {
    progress = progressAfter(progress, { status: "up to date", hostname: "a", laptops: 1, ms: 1 });
    line.update(progress);
  }
  assert.deepEqual(written, ["\r1/1,000 schools, 0 leases signed\u001b[K"], "the first update at once, the others wait");
  clock.advance(100);
  assert.equal(written.length, 2);
  assert.equal(written[1], "\r50/1,000 schools, 0 leases signed\u001b[K");
  clock.advance(1000);
  assert.equal(written.at(-1), "\r50/1,000 schools, 0 leases signed, about 21 s left\u001b[K", "the estimate follows the clock");
  assert.ok(written.length <= 12, `${written.length} draws in 1.1 s`);
});

test("an error line goes above the progress line; the end erases it and stops the refresh", () => {
  const written: string[] = [];
  const clock = fakeClock();
  const line = new ProgressLine(
    (text) => written.push(text),
    () => 20,
    clock,
  );
  line.update({ schoolsDone: 1, schoolsTotal: 3, leasesSigned: 1234 });
  assert.deepEqual(written, ["\r1/3 schools, 1,234 \u001b[K"], "cut to the terminal's width");
  line.print("inventario-leasegen: a.example.org: failed\n");
  assert.deepEqual(written.slice(1), ["\r\u001b[K", "inventario-leasegen: a.example.org: failed\n", "\r1/3 schools, 1,234 \u001b[K"]);
  line.clear();
  assert.equal(written.at(-1), "\r\u001b[K");
  assert.equal(clock.timers, 0);
  const count = written.length;
  clock.advance(500);
  line.print("later\n");
  assert.deepEqual(written.slice(count), ["later\n"], "nothing drawn after the end");
});
