import assert from "node:assert/strict";
import { test } from "node:test";
import { exitCodeOf, summarize, summaryLine, type RunReport, type SchoolOutcome } from "../../src/core/report.js";

const done: SchoolOutcome = {
  status: "regenerated",
  hostname: "a",
  reason: "list changed",
  laptops: 3,
  signed: 2,
  kept: 1,
  laptopFiles: 2,
  schoolFileWritten: true,
  expiry: "20300101T000000Z",
  ms: 5,
};
const fresh: SchoolOutcome = { status: "up to date", hostname: "b", laptops: 1, ms: 1 };
const failed: SchoolOutcome = { status: "failed", hostname: "c", error: "c: HTTP 500", ms: 1 };
const report = (schools: SchoolOutcome[], stolenError?: string, dryRun = false): RunReport => ({
  dryRun,
  schools,
  stolenError,
  removedSchools: [],
  seconds: 1.25,
});

test("exit status: 0 all done, 3 some failed, 4 nothing could be done", () => {
  assert.equal(exitCodeOf(report([done, fresh])), 0);
  assert.equal(exitCodeOf(report([])), 0);
  assert.equal(exitCodeOf(report([done, failed])), 3);
  assert.equal(exitCodeOf(report([failed])), 3);
  assert.equal(exitCodeOf(report([done], "stolen list: HTTP 500")), 3);
  assert.equal(exitCodeOf(report([failed], "stolen list: connection refused")), 4);
});

test("summary counts and line", () => {
  assert.deepEqual(summarize(report([done, fresh, failed])), { regenerated: 1, upToDate: 1, failed: 1, leasesSigned: 2 });
  assert.equal(summaryLine(report([done, fresh, failed])), "1 school regenerated, 1 up to date, 1 failed; 2 leases signed in 1.3 s");
  const would: SchoolOutcome = {
    status: "would regenerate",
    hostname: "d",
    reason: "stale",
    laptops: 4,
    signed: 1,
    kept: 3,
    expiry: "20300101T000000Z",
    ms: 1,
  };
  assert.equal(
    summaryLine(report([would, would, fresh], undefined, true)),
    "dry run, nothing written: would regenerate 2 schools, 1 up to date, 0 failed; in 1.3 s",
  );
});
