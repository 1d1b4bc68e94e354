import assert from "node:assert/strict";
import { test } from "node:test";
import { deploymentStatus } from "../../src/core/deployment-status.js";
import type { Hostname } from "../../src/core/domain.js";
import type { RunRecord, SchoolRecord } from "../../src/core/run-record.js";
import { CheckState, DEFAULT_THRESHOLDS, checkStatus, unknownCheck } from "../../src/core/status-check.js";
import { NOW, h, input, lastRun, school } from "../support/status-fixtures.js";

const HOUR = 3_600_000;

/** A record whose last run over every school succeeded `hoursAgo` hours before NOW. */
function record(hoursAgo = 1, schools: [Hostname, SchoolRecord][] = [], extra: Partial<RunRecord> = {}): RunRecord {
  const run = lastRun({ startedAt: new Date(NOW.getTime() - hoursAgo * HOUR), finishedAt: new Date(NOW.getTime() - hoursAgo * HOUR) });
  return { lastRun: run, lastSuccessAt: run.finishedAt, schools: new Map(schools), ...extra };
}

const check = (...args: Parameters<typeof input>): ReturnType<typeof checkStatus> =>
  checkStatus(deploymentStatus(input(...args)), DEFAULT_THRESHOLDS);

test("OK: every lease far enough, a recent success; one line with performance data", () => {
  const result = check([school("a", 20), school("b", 10), school("empty", undefined)], record());
  assert.equal(result.state, CheckState.OK);
  assert.equal(
    result.line,
    "LEASEGEN OK - 3 schools, 4 laptops; earliest expiry in 10.0 days (b.example.org); last successful run 60 min ago" +
      " | schools=3;;;0 laptops=4;;;0 earliest_expiry_days=10;7:;3: failed=0;;;0 held=0;;;0 last_success_age=3600s;;86400;0\n",
  );
});

test("WARNING: an expiry within --warning days, naming the first few schools", () => {
  const schools = ["a", "b", "c", "d", "e"].map((name, i) => school(name, 4 + i / 10));
  const result = check([...schools, school("far", 30)], record());
  assert.equal(result.state, CheckState.WARNING);
  assert.match(
    result.line,
    /^LEASEGEN WARNING - 5 schools with leases expiring within 7 days: a\.example\.org \(4\.0 days\), b\.example\.org \(4\.1 days\), c\.example\.org \(4\.2 days\) and 2 more \| /,
  );
  assert.match(result.line, / earliest_expiry_days=4;7:;3: /);
});

test("CRITICAL: a school listed at the last run over every school has no school file, named", () => {
  const listed = { at: NOW, hostnames: [h("a"), h("b"), h("gone")] };
  const result = check([school("a", 20), { hostname: h("gone") }], record(1, [], { listed }));
  assert.equal(result.state, CheckState.CRITICAL);
  assert.match(result.line, /^LEASEGEN CRITICAL - 1 school listed at the last run without a school file \(.*\): gone\.example\.org \| /);
  const unlisted = check([school("a", 20), { hostname: h("other") }], record(1, [], { listed }));
  assert.equal(unlisted.state, CheckState.OK, "a school not listed at the last run (a HOST run's) is not counted so");
});

test("WARNING: failed or held schools, a last run that could do nothing, or was interrupted", () => {
  const rec = record(1);
  const at = rec.lastRun?.startedAt as Date;
  const failing = record(1, [
    [h("a"), { outcome: "failed", reason: "HTTP 500", at }],
    [h("b"), { outcome: "held", reason: "shrink", at }],
  ]);
  const result = check([school("a", 20), school("b", 20)], failing);
  assert.equal(result.state, CheckState.WARNING);
  assert.match(
    result.line,
    /^LEASEGEN WARNING - 1 failed: a\.example\.org; 1 held until --force: b\.example\.org \| .* failed=1;;;0 held=1;;;0 /,
  );

  const dead: RunRecord = { ...rec, lastRun: lastRun({ exitCode: 4, error: "school list: ECONNREFUSED" }) };
  const deadResult = check([school("a", 20)], dead);
  assert.equal(deadResult.state, CheckState.WARNING);
  assert.match(deadResult.line, /last run did nothing \(exit 4\): school list: ECONNREFUSED/);

  const interrupted: RunRecord = { ...rec, lastRun: lastRun({ exitCode: 143, error: "interrupted by SIGTERM" }) };
  const interruptedResult = check([school("a", 20)], interrupted);
  assert.equal(interruptedResult.state, CheckState.WARNING);
  assert.match(interruptedResult.line, /^LEASEGEN WARNING - last run interrupted by SIGTERM \(exit 143\) \| /);
});

test("WARNING: a school that failed at an earlier run stays failed after a run limited to another school", () => {
  const full = record(2);
  const failedAt = full.lastRun?.startedAt as Date;
  const limitedRun = lastRun({
    hostnames: [h("a")],
    startedAt: new Date(NOW.getTime() - HOUR),
    finishedAt: new Date(NOW.getTime() - HOUR),
  });
  const afterLimited: RunRecord = {
    ...full,
    lastRun: limitedRun,
    schools: new Map<Hostname, SchoolRecord>([
      [h("a"), { outcome: "regenerated", reason: "forced", at: limitedRun.startedAt }],
      [h("b"), { outcome: "failed", reason: "HTTP 500", at: failedAt }],
    ]),
    otherFailures: [{ name: "(school list)", outcome: "held", reason: "3 of 4 schools are no longer listed" }],
  };
  const result = check([school("a", 20), school("b", 20)], afterLimited);
  assert.equal(result.state, CheckState.WARNING);
  assert.match(
    result.line,
    /^LEASEGEN WARNING - 1 failed: b\.example\.org; 1 held until --force: \(school list\) \| .* failed=1;;;0 held=1;;;0 /,
  );
  const onlyA = checkStatus(deploymentStatus(input([school("a", 20)], afterLimited, { only: new Set([h("a")]) })), DEFAULT_THRESHOLDS);
  assert.equal(onlyA.state, CheckState.OK, "asked about a.example only");
});

test("WARNING: a stolen list held by the shrink guard is said to be held, with the count, not that it could not be fetched", () => {
  const why =
    "stolen list held by the shrink guard: 8 of its 10 entries would be dropped at once (more than max_shrink_percent = 50%), it would go from 10 to 2 laptops; the previous list stays in force, with the new entries; run with --force to accept the new list";
  const held: RunRecord = { ...record(1), lastRun: lastRun({ exitCode: 3, stolenListFailed: true, stolenListError: why }) };
  const result = check([school("a", 20)], held);
  assert.equal(result.state, CheckState.WARNING);
  assert.ok(result.line.startsWith(`LEASEGEN WARNING - last run: ${why} | `), result.line);
  assert.doesNotMatch(result.line, /could not fetch/);
});

test("CRITICAL: an expiry within --critical days (or past), or no successful run within --max-age hours", () => {
  const soon = check([school("a", 2), school("gone", -1), school("b", 5)], record());
  assert.equal(soon.state, CheckState.CRITICAL);
  assert.match(
    soon.line,
    /^LEASEGEN CRITICAL - 2 schools with leases expiring within 3 days: gone\.example\.org \(expired\), a\.example\.org \(2\.0 days\); 1 school with leases expiring within 7 days: b\.example\.org \(5\.0 days\) \| /,
  );

  const stale = check([school("a", 20)], record(25));
  assert.equal(stale.state, CheckState.CRITICAL);
  assert.match(stale.line, /no successful run for 25\.0 hours \(max 24\)/);
  assert.match(stale.line, / last_success_age=90000s;;86400;0$/m);
  const tolerant = checkStatus(deploymentStatus(input([school("a", 20)], record(25))), { ...DEFAULT_THRESHOLDS, maxAgeHours: 48 });
  assert.equal(tolerant.state, CheckState.OK);

  const never = check([school("a", 20)]);
  assert.equal(never.state, CheckState.CRITICAL);
  assert.match(never.line, /no successful run recorded/);

  // A clock that was ahead must not make a dead cron job look fine until that date comes.
  const future = check([school("a", 20)], record(-24 * 365));
  assert.equal(future.state, CheckState.CRITICAL);
  assert.match(future.line, /last successful run is dated in the future .*check the system clock/);
  assert.equal(check([school("a", 20)], record(-0.01)).state, CheckState.OK, "a little skew is tolerated");
});

test("the thresholds are the options'", () => {
  const status = deploymentStatus(input([school("a", 5)], record()));
  assert.equal(checkStatus(status, { ...DEFAULT_THRESHOLDS, warningDays: 4, criticalDays: 2 }).state, CheckState.OK);
  assert.equal(checkStatus(status, { ...DEFAULT_THRESHOLDS, warningDays: 10, criticalDays: 6 }).state, CheckState.CRITICAL);
});

test("WARNING: a run in progress for more than --max-run hours (1), or more than --max-age", () => {
  const running = (minutes: number): Partial<Parameters<typeof input>[2]> => ({
    runInProgress: true,
    runStartedAt: new Date(NOW.getTime() - minutes * 60_000),
  });
  assert.equal(check([school("a", 20)], record(), running(59)).state, CheckState.OK);
  const stuck = check([school("a", 20)], record(), running(61));
  assert.equal(stuck.state, CheckState.WARNING);
  assert.match(
    stuck.line,
    /^LEASEGEN WARNING - a run has been in progress for 61 min \(since 2026-11-22 10:59Z; max 1 hours\): is a hook, make-lease\.sh or inventario hanging\? \| /,
  );
  const status = (minutes: number): ReturnType<typeof deploymentStatus> =>
    deploymentStatus(input([school("a", 20)], record(), running(minutes)));
  const thresholds = { ...DEFAULT_THRESHOLDS, maxRunHours: 3 };
  assert.equal(checkStatus(status(150), thresholds).state, CheckState.OK);
  assert.match(checkStatus(status(200), thresholds).line, /in progress for 3\.3 hours .*max 3 hours/);
  // --max-age below --max-run: a run cannot go on longer than a successful run may be missed.
  assert.match(checkStatus(status(45), { ...DEFAULT_THRESHOLDS, maxAgeHours: 0.5 }).line, /in progress for 45 min .*max 0\.5 hours/);
});

test("UNKNOWN: a file cannot be read, named, whatever else holds", () => {
  const problems = [
    { file: "/var/x/run-record.json", error: "not a run record: not JSON" },
    { file: "/var/x/by-school/b.example.org", error: "bad" },
  ];
  const result = check([school("a", 1)], undefined, { problems });
  assert.equal(result.state, CheckState.UNKNOWN);
  assert.equal(result.line, "LEASEGEN UNKNOWN - cannot read /var/x/run-record.json: not a run record: not JSON; and 1 more\n");
  assert.equal(unknownCheck("bad\noption").line, "LEASEGEN UNKNOWN - bad?option\n", "always one line");
});
