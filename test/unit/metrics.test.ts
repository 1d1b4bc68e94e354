import assert from "node:assert/strict";
import { test } from "node:test";
import { deploymentStatus } from "../../src/core/deployment-status.js";
import { RUN_STARTED, metricFamilies, runStartedFamily, withFamilyReplaced } from "../../src/core/metrics.js";
import type { RunRecord } from "../../src/core/run-record.js";
import { metricsText } from "../../src/io/metrics-file.js";
import { metricValue, parseMetrics } from "../support/metrics-file.js";
import { NOW, daysFromNow, h, input, lastRun, school } from "../support/status-fixtures.js";

test("the metrics: last run, last success, schools by outcome, laptops, stolen, expiries overall and per school", async () => {
  const run = lastRun({ exitCode: 3, leasesSigned: 7 });
  const record: RunRecord = {
    lastRun: run,
    lastSuccessAt: run.finishedAt,
    stolenListFetchedAt: run.startedAt,
    schools: new Map([
      [h("a"), { outcome: "up to date", at: run.startedAt }],
      [h("b"), { outcome: "held", reason: "shrink", at: run.startedAt }],
    ]),
  };
  const status = deploymentStatus(
    input([school("a", 10), school("b", 3), school("empty", undefined)], record, { stolen: { laptops: 4, changedAt: NOW } }),
  );
  const text = await metricsText(metricFamilies(status));
  assert.match(text, /^# HELP leasegen_last_run_timestamp_seconds .+\n# TYPE leasegen_last_run_timestamp_seconds gauge\n/);
  const metrics = parseMetrics(text);
  const at = (date: Date): number => date.getTime() / 1000;
  assert.equal(metricValue(metrics, "leasegen_last_run_timestamp_seconds"), at(run.finishedAt));
  assert.equal(metricValue(metrics, "leasegen_last_run_exit_status"), 3);
  assert.equal(metricValue(metrics, "leasegen_last_run_duration_seconds"), 1.5);
  assert.equal(metricValue(metrics, "leasegen_last_success_timestamp_seconds"), at(run.finishedAt));
  assert.equal(metricValue(metrics, "leasegen_schools", { outcome: "up_to_date" }), 1);
  assert.equal(metricValue(metrics, "leasegen_schools", { outcome: "held" }), 1);
  assert.equal(metricValue(metrics, "leasegen_schools", { outcome: "unknown" }), 1);
  assert.equal(metricValue(metrics, "leasegen_schools", { outcome: "failed" }), 0);
  assert.equal(metricValue(metrics, "leasegen_last_run_leases_signed"), 7);
  assert.equal(metricValue(metrics, "leasegen_laptops_with_lease"), 4);
  assert.equal(metricValue(metrics, "leasegen_stolen_laptops"), 4);
  assert.equal(metricValue(metrics, "leasegen_stolen_list_fetched_timestamp_seconds"), at(run.startedAt));
  assert.equal(metricValue(metrics, "leasegen_unreadable_files"), 0);
  const b = status.schools[0]?.leases?.earliestExpiry as Date;
  assert.equal(metricValue(metrics, "leasegen_earliest_lease_expiry_timestamp_seconds"), at(b));
  assert.equal(metricValue(metrics, "leasegen_school_earliest_lease_expiry_timestamp_seconds", { hostname: h("b") }), at(b));
  assert.equal(metrics.get("leasegen_school_earliest_lease_expiry_timestamp_seconds")?.size, 2, "an empty school has no expiry");
  // Signed a day ago, b expiring in 3 days and a in 10: each due halfway; empty: its stale time, a week after.
  assert.equal(metricValue(metrics, "leasegen_school_next_lease_due_timestamp_seconds", { hostname: h("b") }), at(daysFromNow(1)));
  assert.equal(metricValue(metrics, "leasegen_school_next_lease_due_timestamp_seconds", { hostname: h("a") }), at(daysFromNow(4.5)));
  assert.equal(metricValue(metrics, "leasegen_school_next_lease_due_timestamp_seconds", { hostname: h("empty") }), at(daysFromNow(6)));
  assert.equal(metricValue(metrics, "leasegen_next_lease_due_timestamp_seconds"), at(daysFromNow(1)));
});

test("what is not known yet is left out rather than shown as 0", async () => {
  const metrics = parseMetrics(await metricsText(metricFamilies(deploymentStatus(input([])))));
  for (const name of [
    "leasegen_last_run_timestamp_seconds",
    "leasegen_last_run_exit_status",
    "leasegen_last_success_timestamp_seconds",
    "leasegen_earliest_lease_expiry_timestamp_seconds",
    "leasegen_school_earliest_lease_expiry_timestamp_seconds",
    "leasegen_stolen_list_fetched_timestamp_seconds",
    RUN_STARTED,
    "leasegen_next_lease_due_timestamp_seconds",
    "leasegen_school_next_lease_due_timestamp_seconds",
  ])
    assert.equal(metrics.has(name), false, name);
  assert.equal(metricValue(metrics, "leasegen_laptops_with_lease"), 0);
});

test("a run's start mark: put last in the file as it was, replacing a mark a dead run left, the rest byte for byte", async () => {
  const last = await metricsText(metricFamilies(deploymentStatus(input([school("a", 10)], { schools: new Map() }))));
  const mark = (seconds: number): Promise<string> => metricsText([runStartedFamily(new Date(seconds * 1000))]);
  const marked = withFamilyReplaced(last, RUN_STARTED, await mark(1_800_000_000));
  assert.equal(marked, `${last}\n${await mark(1_800_000_000)}`);
  assert.equal(metricValue(parseMetrics(marked), RUN_STARTED), 1_800_000_000);
  // A dead run's mark (anywhere in the file) is replaced, not repeated.
  const remarked = withFamilyReplaced(`${await mark(1)}\n${marked}`, RUN_STARTED, await mark(1_800_000_900));
  assert.equal(remarked, `${last}\n${await mark(1_800_000_900)}`);
  // No file yet: the mark alone.
  assert.equal(withFamilyReplaced("", RUN_STARTED, await mark(5)), await mark(5));
});
