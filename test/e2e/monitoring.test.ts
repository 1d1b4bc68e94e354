// Issue 8 §3 through the bundle: each `status --check` state, driven by a test inventario whose
// lease duration is short and by the max-age rule; the metrics file, read by a real parser.
import assert from "node:assert/strict";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { laptop } from "../support/datasets.js";
import { runBundle, useDemoDeployment } from "../support/harness.js";
import { RUN_STARTED } from "../../src/core/metrics.js";
import { metricValue, parseMetrics, promtoolCheckMetrics, useMetricsFile as useMetrics } from "../support/metrics-file.js";
import { SCHOOL1, SCHOOL2, SCHOOL3, check, editRunRecord, expiryIn, runRecordPath } from "../support/status-helpers.js";

const demo = useDemoDeployment();
const HOUR = 3_600_000;

test("OK: leases three weeks ahead and a recent run; the performance data", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const ok = await check(demo.deployment);
  assert.equal(ok.code, 0);
  assert.match(
    ok.stdout,
    /^LEASEGEN OK - 3 schools, 7 laptops; earliest expiry in 2\d\.\d days \(schoolserver\.escuela\d\..*\); last successful run \d+ min ago \| schools=3;;;0 laptops=7;;;0 earliest_expiry_days=2\d(\.\d+)?;7:;3: failed=0;;;0 held=0;;;0 last_success_age=\d+s;;86400;0\n$/,
  );
});

test("WARNING and CRITICAL: a school whose inventario gives short leases, within --warning or --critical days", async () => {
  demo.server.dataset.schools.get(SCHOOL2)!.expiry = expiryIn(5);
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const warning = await check(demo.deployment);
  assert.equal(warning.code, 1);
  assert.match(
    warning.stdout,
    new RegExp(`^LEASEGEN WARNING - 1 school with leases expiring within 7 days: ${SCHOOL2} \\(\\d\\.\\d days\\) \\| `),
  );
  assert.equal((await check(demo.deployment, ["--warning", "4"])).code, 0);

  demo.server.dataset.schools.get(SCHOOL1)!.expiry = expiryIn(2);
  assert.equal((await runBundle(["--force", SCHOOL1], demo.deployment)).code, 0);
  const critical = await check(demo.deployment);
  assert.equal(critical.code, 2);
  assert.match(
    critical.stdout,
    new RegExp(`^LEASEGEN CRITICAL - 1 school with leases expiring within 3 days: ${SCHOOL1} \\(\\d\\.\\d days\\); 1 school .*${SCHOOL2}`),
  );
  assert.equal((await check(demo.deployment, ["--critical", "1", "--warning", "1.5"])).code, 0);
  assert.equal((await check(demo.deployment, [SCHOOL2])).code, 1, "HOST arguments limit the check too");
});

test("WARNING: a failed and a held school, named, until a run succeeds for each, whatever runs came between", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  demo.server.dataset.schools.get(SCHOOL1)!.atRoot = true;
  demo.server.dataset.schools.get(SCHOOL2)!.laptops = [laptop(3)];
  assert.equal((await runBundle([], demo.deployment)).code, 3);
  const expected = new RegExp(`^LEASEGEN WARNING - 1 failed: ${SCHOOL1}; 1 held until --force: ${SCHOOL2} \\| .* failed=1;;;0 held=1;;;0 `);
  const warning = await check(demo.deployment);
  assert.equal(warning.code, 1);
  assert.match(warning.stdout, expected);

  // A run limited to another school says nothing about these two: they still fail.
  assert.equal((await runBundle(["--force", SCHOOL3], demo.deployment)).code, 0);
  const after = await check(demo.deployment);
  assert.equal(after.code, 1, after.stdout);
  assert.match(after.stdout, expected);

  demo.server.dataset.schools.get(SCHOOL1)!.atRoot = false;
  assert.equal((await runBundle([SCHOOL1], demo.deployment)).code, 0);
  assert.match((await check(demo.deployment)).stdout, new RegExp(`^LEASEGEN WARNING - 1 held until --force: ${SCHOOL2} \\| `));
  assert.equal((await runBundle(["--force", SCHOOL2], demo.deployment)).code, 0);
  assert.equal((await check(demo.deployment)).code, 0);
});

test("WARNING: a stolen list held by the shrink guard says so, with how many entries it would drop", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  demo.server.dataset.stolen = [];
  assert.equal((await runBundle([], demo.deployment)).code, 3);
  const held = await check(demo.deployment);
  assert.equal(held.code, 1);
  assert.match(
    held.stdout,
    /^LEASEGEN WARNING - last run: stolen list held by the shrink guard: 2 of its 2 entries would be dropped at once \(more than max_shrink_percent = 50%\).*run with --force to accept the new list \| /,
  );
  assert.doesNotMatch(held.stdout, /could not fetch/);
  assert.equal((await runBundle(["--force"], demo.deployment)).code, 0);
  assert.equal((await check(demo.deployment)).code, 0);
});

test("CRITICAL: no run over every school ended with exit 0 or 3 within --max-age hours", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  await editRunRecord(demo.deployment, (document) => (document["lastSuccessAt"] = new Date(Date.now() - 25 * HOUR).toISOString()));
  const stale = await check(demo.deployment);
  assert.equal(stale.code, 2);
  assert.match(
    stale.stdout,
    /^LEASEGEN CRITICAL - no successful run for 25\.0 hours \(max 24\): is cron running, is inventario reachable\? \| /,
  );
  assert.equal((await check(demo.deployment, ["--max-age", "48"])).code, 0);

  assert.equal((await runBundle([SCHOOL2], demo.deployment)).code, 0);
  assert.equal((await check(demo.deployment)).code, 2, "a run limited to some schools does not count");
  await demo.deployment.writeConfig({ site: "http://127.0.0.1:9/inventario/" });
  assert.equal((await runBundle([], demo.deployment)).code, 4);
  await demo.deployment.writeConfig();
  const dead = await check(demo.deployment);
  assert.equal(dead.code, 2);
  assert.match(dead.stdout, /no successful run for 25\.0 hours .*; last run did nothing \(exit 4\): school list: .*ECONNREFUSED/);

  assert.equal((await runBundle([], demo.deployment)).code, 0);
  assert.equal((await check(demo.deployment)).code, 0);
});

test("CRITICAL on a fresh deployment; UNKNOWN when a record cannot be read or the options are wrong", async () => {
  const fresh = await check(demo.deployment);
  assert.equal(fresh.code, 2);
  assert.match(fresh.stdout, /^LEASEGEN CRITICAL - no successful run recorded/);

  assert.equal((await runBundle([], demo.deployment)).code, 0);
  await writeFile(runRecordPath(demo.deployment), "garbage");
  const unknown = await check(demo.deployment);
  assert.equal(unknown.code, 3);
  assert.equal(unknown.stdout, `LEASEGEN UNKNOWN - cannot read ${runRecordPath(demo.deployment)}: not a run record: not JSON\n`);

  const cases: [string[], RegExp][] = [
    [["--warning", "soon"], /--warning must be a positive number, not "soon"/],
    [["--critical", "10"], /--critical must not be more than --warning/],
    [["--max-age", "0"], /--max-age must be a positive number/],
    [["../etc"], /hostname "\.\.\/etc" contains a \//],
    // An empty NRPE macro: a check that would watch nothing, OK forever.
    [[""], /the HOST argument "" names no school/],
    [[","], /the HOST argument "," names no school/],
    [[SCHOOL1, " , "], /the HOST argument " , " names no school/],
    [["--config", join(demo.deployment.dir, "none.conf")], /none\.conf: cannot read the configuration/],
    [["--no-such-option"], /unknown option '--no-such-option'/],
    [["--warning"], /option '--warning <days>' argument missing/],
  ];
  for (const [args, why] of cases) {
    const result = await check(demo.deployment, args);
    assert.equal(result.code, 3, args.join(" "));
    assert.match(result.stdout, /^LEASEGEN UNKNOWN - [^\n]*\n$/, "one line");
    assert.match(result.stdout, why);
  }
  const nameless = await runBundle(["status", ""], demo.deployment);
  assert.equal(nameless.code, 2, "plain status too");
  assert.match(nameless.stderr, /the HOST argument "" names no school/);
  const misplaced = await runBundle(["status", "--warning", "3"], demo.deployment);
  assert.equal(misplaced.code, 2);
  assert.match(misplaced.stderr, /--warning, --critical, --max-age and --max-run go with --check/);
});

async function useMetricsFile(): Promise<string> {
  return (await useMetrics(demo.deployment)).path;
}

test("metrics_file: every run ends by writing it; a real parser reads every metric", async () => {
  const path = await useMetricsFile();
  demo.server.dataset.schools.get(SCHOOL2)!.expiry = "20301231T060000Z";
  assert.equal((await runBundle(["--dry-run"], demo.deployment)).code, 0);
  assert.equal(await stat(path).catch(() => undefined), undefined, "not by a dry run");
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  assert.equal((await stat(path)).mode & 0o777, 0o644);
  const text = await readFile(path, "utf8");
  const metrics = parseMetrics(text);
  const record = JSON.parse(await readFile(runRecordPath(demo.deployment), "utf8")) as {
    lastRun: { finishedAt: string };
    lastSuccessAt: string;
    stolenListFetchedAt: string;
  };
  const seconds = (iso: string): number => new Date(iso).getTime() / 1000;
  assert.equal(metricValue(metrics, "leasegen_last_run_timestamp_seconds"), seconds(record.lastRun.finishedAt));
  assert.equal(metricValue(metrics, "leasegen_last_run_exit_status"), 0);
  assert.equal(metricValue(metrics, "leasegen_last_success_timestamp_seconds"), seconds(record.lastSuccessAt));
  assert.ok((metricValue(metrics, "leasegen_last_run_duration_seconds") ?? -1) >= 0);
  assert.equal(metricValue(metrics, "leasegen_schools", { outcome: "regenerated" }), 3);
  assert.equal(metricValue(metrics, "leasegen_last_run_leases_signed"), 8);
  assert.equal(metricValue(metrics, "leasegen_laptops_with_lease"), 7);
  assert.equal(metricValue(metrics, "leasegen_stolen_laptops"), 2);
  assert.equal(metricValue(metrics, "leasegen_stolen_list_fetched_timestamp_seconds"), seconds(record.stolenListFetchedAt));
  assert.equal(
    metricValue(metrics, "leasegen_school_earliest_lease_expiry_timestamp_seconds", { hostname: SCHOOL2 }),
    seconds("2030-12-31T06:00:00Z"),
  );
  const school1 = metricValue(metrics, "leasegen_school_earliest_lease_expiry_timestamp_seconds", { hostname: SCHOOL1 });
  assert.equal(metricValue(metrics, "leasegen_earliest_lease_expiry_timestamp_seconds"), school1);

  await demo.deployment.writeConfig({ metrics_file: path, site: "http://127.0.0.1:9/inventario/" });
  assert.equal((await runBundle([], demo.deployment)).code, 4);
  const dead = parseMetrics(await readFile(path, "utf8"));
  assert.equal(metricValue(dead, "leasegen_last_run_exit_status"), 4);
  assert.equal(metricValue(dead, "leasegen_last_success_timestamp_seconds"), seconds(record.lastSuccessAt));
  assert.equal(metricValue(dead, "leasegen_laptops_with_lease"), 7);
});

test("metrics_file that cannot be written: a warning, and the run's exit status is unchanged", async () => {
  const path = await useMetricsFile();
  await rm(join(path, ".."), { recursive: true });
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0);
  assert.match(result.stderr, /^inventario-leasegen: warning: cannot write metrics_file .*inventario-leasegen\.prom: ENOENT/);
  assert.equal(result.stderr.split("cannot write metrics_file").length, 2, "once, at the end (the start's is in the log only)");
  assert.equal((await check(demo.deployment)).code, 0, "the run was recorded");
});

test("metrics_file passes promtool check metrics", async () => {
  const path = await useMetricsFile();
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  await promtoolCheckMetrics(path);
});

test("metrics_file: a run marks its start in it, keeping the last run's metrics, and its end takes the mark out", async () => {
  const { path, duringRun } = await useMetrics(demo.deployment, { duringRun: true });
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = parseMetrics(await readFile(path, "utf8"));
  assert.equal(before.has(RUN_STARTED), false);
  assert.equal((await runBundle(["--force"], demo.deployment)).code, 0);
  const text = await readFile(duringRun, "utf8");
  const during = parseMetrics(text);
  assert.equal(metricValue(during, RUN_STARTED), await lastRunStart());
  during.delete(RUN_STARTED);
  assert.deepEqual(during, before, "the rest is the last run's file");
  await promtoolCheckMetrics(duringRun);
  assert.equal(parseMetrics(await readFile(path, "utf8")).has(RUN_STARTED), false, "the run's end takes it out");

  // A run that died before its end left its mark: the next run's mark replaces it.
  await writeFile(path, `${text}\n`);
  assert.equal((await runBundle(["--force"], demo.deployment)).code, 0);
  const again = await readFile(duringRun, "utf8");
  assert.equal(again.split(`# TYPE ${RUN_STARTED} gauge`).length, 2, "one mark");
  assert.equal(metricValue(parseMetrics(again), RUN_STARTED), await lastRunStart());
});

/** The start of the last run, from its record, in Unix seconds. */
async function lastRunStart(): Promise<number> {
  const record = JSON.parse(await readFile(runRecordPath(demo.deployment), "utf8")) as { lastRun: { startedAt: string } };
  return new Date(record.lastRun.startedAt).getTime() / 1000;
}
