// Issue 8 §1-2 through the bundle: what each run records, and `status` on a fresh, a running,
// an upgraded-from-Ruby and a damaged deployment.
import assert from "node:assert/strict";
import { rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { expiryTime } from "../../src/core/domain.js";
import { laptop } from "../support/datasets.js";
import { readTree, runBundle, startBusyRun, useDemoDeployment } from "../support/harness.js";
import { SCHOOL1, SCHOOL2, SCHOOL3, check, editRunRecord, expiryIn, runRecordPath, statusJson } from "../support/status-helpers.js";

const demo = useDemoDeployment();

test("a fresh deployment: status says what it cannot know yet, and creates nothing", async () => {
  const result = await runBundle(["status"], demo.deployment);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^No schools: no lease files, and no run has recorded any\.\n/);
  assert.match(result.stdout, /\nLast run: none recorded/);
  assert.match(result.stdout, /\nStolen list: none on disk yet\n/);
  const json = await statusJson(demo.deployment);
  assert.deepEqual(json.schools, []);
  assert.equal(json.lastRun, null);
  assert.equal(json.unlisted, null);
  assert.deepEqual(await readTree(demo.deployment.dir).then((tree) => [...tree.keys()].filter((p) => !p.startsWith("lease."))), [
    "leasegen.conf",
  ]);
});

test("each run records its outcome; the table is most urgent first; --json gives the same", async () => {
  demo.server.dataset.schools.get(SCHOOL2)!.expiry = expiryIn(10);
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  assert.equal((await stat(runRecordPath(demo.deployment))).mode & 0o777, 0o644, "readable by the service group and others");

  const text = await runBundle(["status"], demo.deployment);
  assert.equal(text.code, 0, text.stderr);
  const rows = text.stdout.split("\n");
  assert.match(rows[0] ?? "", /^SCHOOL +LAPTOPS +EARLIEST EXPIRY +DAYS LEFT +LAST SIGNED +NEXT DUE +LAST OUTCOME$/);
  assert.match(
    rows[1] ?? "",
    new RegExp(`^${SCHOOL2} +3 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ +(9\\.9|10\\.0) .* regenerated \\(output missing\\), `),
  );
  assert.match(rows[2] ?? "", new RegExp(`^${SCHOOL1} +4 `));
  assert.match(rows[3] ?? "", new RegExp(`^${SCHOOL3} +0 +- +- `), "an empty school has nothing that expires: last");
  assert.match(text.stdout, /\nLast run: .*, exit 0 \(all done\): 3 regenerated, 0 up to date, 0 failed \(0 held\), 8 leases signed\n/);
  assert.match(text.stdout, /\nStolen list: 2 laptops, fetched /);
  assert.match(text.stdout, /\nFiles of schools inventario no longer lists: none\n/);

  const json = await statusJson(demo.deployment);
  assert.deepEqual(
    json.schools.map((s) => [s.hostname, s.laptops, s.leases, s.listed, s.lastOutcome?.outcome, s.lastOutcome?.reason]),
    [
      [SCHOOL2, 3, 3, true, "regenerated", "output missing"],
      [SCHOOL1, 4, 5, true, "regenerated", "output missing"],
      [SCHOOL3, 0, 0, true, "regenerated", "output missing"],
    ],
  );
  const school2 = json.schools[0]!;
  assert.equal(school2.earliestExpiry, expiryTime(demo.server.dataset.schools.get(SCHOOL2)!.expiry!)?.toISOString());
  const checksumTime = (await stat(join(demo.deployment.stateDir, `${SCHOOL2}.checksum`))).mtime;
  assert.equal(school2.lastSignedAt, checksumTime.toISOString());
  assert.equal(school2.staleAt, new Date(checksumTime.getTime() + 604800_000).toISOString());
  // 10-day leases are due halfway through their life, before a week: when the next run signs them again.
  const halfway = (checksumTime.getTime() + new Date(school2.earliestExpiry!).getTime()) / 2;
  assert.equal(school2.nextDueAt, new Date(Math.floor(halfway)).toISOString());
  assert.deepEqual(json.totals, {
    schools: 3,
    laptops: 7,
    leases: 8,
    outcomes: { regenerated: 3, "up to date": 0, failed: 0, held: 0, unknown: 0 },
  });
  assert.equal(json.lastRun?.["exitCode"], 0);
  assert.equal(json.lastRun?.["leasesSigned"], 8);
  assert.equal(json.lastSuccessAt, json.lastRun?.["finishedAt"]);
  assert.equal(json.stolenList?.laptops, 2);
  assert.deepEqual([json.runInProgress, json.problems, json.lastRunFailures], [false, [], []]);
});

test("a nothing-changed run writes one small file in state_dir: the run record", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const times = async (): Promise<Map<string, number>> => {
    const result = new Map<string, number>();
    for (const path of (await readTree(demo.deployment.stateDir)).keys())
      result.set(path, (await stat(join(demo.deployment.stateDir, path))).mtimeMs);
    return result;
  };
  const before = await times();
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const after = await times();
  const changed = [...after].filter(([path, time]) => before.get(path) !== time).map(([path]) => path);
  assert.deepEqual(changed.sort(), ["leasegen.log", "run-record.json"]);
  assert.ok((await stat(runRecordPath(demo.deployment))).size < 2000);
  assert.equal((await statusJson(demo.deployment)).totals.outcomes["up to date"], 3);
});

test("HOST arguments: only those schools; a HOST-limited run keeps the others' outcomes; unknown or bad names exit 2", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  demo.server.dataset.schools.get(SCHOOL2)!.laptops.push(laptop(6));
  assert.equal((await runBundle([SCHOOL2], demo.deployment)).code, 0);
  const one = await statusJson(demo.deployment, [SCHOOL2]);
  assert.deepEqual(
    one.schools.map((s) => [s.hostname, s.laptops, s.lastOutcome?.reason]),
    [[SCHOOL2, 4, "list changed"]],
  );
  const two = await statusJson(demo.deployment, [`${SCHOOL1},${SCHOOL3}`]);
  assert.deepEqual(
    two.schools.map((s) => [s.hostname, s.lastOutcome?.reason]),
    [
      [SCHOOL1, "output missing"],
      [SCHOOL3, "output missing"],
    ],
    "the HOST-limited run kept the others' outcomes",
  );
  assert.deepEqual(two.lastRun?.["hostnames"], [SCHOOL2]);
  const unknown = await runBundle(["status", "nowhere.example.org"], demo.deployment);
  assert.equal(unknown.code, 2);
  assert.equal(
    unknown.stderr,
    "inventario-leasegen: no such school here (no lease file, checksum or recorded outcome): nowhere.example.org\n",
  );
  const bad = await runBundle(["status", "../etc"], demo.deployment);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /hostname "\.\.\/etc" contains a \//);
});

test("upgraded from the Ruby program (checksum and lease files only): status works and says what it cannot know", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  await rm(join(demo.deployment.stateDir, "signed"), { recursive: true });
  await rm(runRecordPath(demo.deployment));
  const signedAt = new Date("2026-01-10T02:00:00Z");
  await utimes(join(demo.deployment.stateDir, `${SCHOOL1}.checksum`), signedAt, signedAt);

  const text = await runBundle(["status"], demo.deployment);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`\\n${SCHOOL1} +4 .* 2026-01-10 02:00Z +next run +unknown \\(no run recorded\\)\\n`));
  assert.match(text.stdout, /\nLast run: none recorded \(never run here, or not since the Ruby program\)\n/);
  assert.match(text.stdout, /\nFiles of schools inventario no longer lists: unknown until a run over every school\n/);
  const json = await statusJson(demo.deployment);
  const school1 = json.schools.find((s) => s.hostname === SCHOOL1);
  assert.equal(school1?.lastSignedAt, signedAt.toISOString());
  assert.equal(school1?.staleAt, new Date(signedAt.getTime() + 604800_000).toISOString());
  assert.equal(school1?.lastOutcome, null);
  assert.equal(json.totals.laptops, 7);
  assert.equal(json.totals.outcomes["unknown"], 3);
  assert.equal(json.stolenList?.fetchedAt, null, "stolen.list's time is known, not when it was last fetched");
});

test("status during a run: no lock taken, the run is shown in progress", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const busy = await startBusyRun(demo.server, demo.deployment);
  try {
    const result = await runBundle(["status"], demo.deployment);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\nA run is in progress \(started \d{4}-\d\d-\d\d \d\d:\d\dZ, \d+ min ago\)/);
    assert.equal((await statusJson(demo.deployment)).runInProgress, true);
    assert.equal(busy.exitCode, null, "the run was not disturbed");
  } finally {
    busy.kill("SIGKILL");
  }
  assert.equal((await statusJson(demo.deployment)).runInProgress, false);
});

test("status --check: WARNING when a run has held the lock longer than --max-run; a run killed with -9 is no run in progress", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const busy = await startBusyRun(demo.server, demo.deployment, 20_000);
  const exited = new Promise((resolve) => busy.on("exit", resolve));
  try {
    const json = await statusJson(demo.deployment);
    assert.equal(json.runInProgress, true);
    const startedAt = new Date(json.runStartedAt ?? "");
    assert.ok(startedAt.getTime() <= Date.now(), json.runStartedAt ?? "no start time");
    const fresh = await check(demo.deployment);
    assert.equal(fresh.code, 0, `a run just started is fine with the default --max-run (1 hour): ${fresh.stdout}`);
    // 0.0003 hours is about 1.1 s: wait until the run has held the lock that long.
    await sleep(Math.max(0, startedAt.getTime() + 1500 - Date.now()));
    const stuck = await check(demo.deployment, ["--max-run", "0.0003"]);
    assert.equal(stuck.code, 1, stuck.stdout);
    assert.match(
      stuck.stdout,
      /^LEASEGEN WARNING - a run has been in progress for \d+ s \(since .*; max 0\.0003 hours\): is a hook, make-lease\.sh or inventario hanging\? \|/,
    );
    assert.equal(busy.exitCode, null, "the run was still in progress");
  } finally {
    busy.kill("SIGKILL");
  }
  await exited;
  // Its record of the lock stays behind; its process is gone, so nothing is in progress.
  assert.ok((await readTree(demo.deployment.stateDir)).has("run-in-progress.json"));
  const json = await statusJson(demo.deployment);
  assert.deepEqual([json.runInProgress, json.runStartedAt], [false, null]);
  assert.equal((await check(demo.deployment, ["--max-run", "0.0003"])).code, 0);
});

test("damaged records: status names the file and exits 3; the next run warns, starts a fresh record and signs as usual", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const leases = await readTree(demo.deployment.leasesDir);
  await writeFile(runRecordPath(demo.deployment), '{"version":1,');
  const result = await runBundle(["status"], demo.deployment);
  assert.equal(result.code, 3);
  assert.equal(result.stderr, `inventario-leasegen: cannot read ${runRecordPath(demo.deployment)}: not a run record: not JSON\n`);
  assert.match(result.stdout, new RegExp(`\\n${SCHOOL1} +4 `), "what can be read is still shown");
  assert.deepEqual((await statusJson(demo.deployment, [], 3)).problems, [
    { file: runRecordPath(demo.deployment), error: "not a run record: not JSON" },
  ]);

  const run = await runBundle([], demo.deployment);
  assert.equal(run.code, 0);
  assert.match(run.stderr, /warning: .*run-record\.json: not a run record: not JSON; starting a fresh run record\n$/);
  assert.deepEqual(await readTree(demo.deployment.leasesDir), leases, "nothing signed differently");
  assert.equal((await statusJson(demo.deployment)).totals.outcomes["up to date"], 3);

  // A hand-edited hostname never reaches a path: the record is refused as a whole.
  await editRunRecord(demo.deployment, (document) => {
    (document["schools"] as Record<string, unknown>)["../../etc/passwd"] = {
      outcome: "failed",
      reason: null,
      at: new Date().toISOString(),
    };
  });
  const edited = await runBundle(["status"], demo.deployment);
  assert.equal(edited.code, 3);
  assert.match(edited.stderr, /run-record\.json: not a run record: schools: hostname "\.\.\/\.\.\/etc\/passwd" contains a \//);

  await rm(runRecordPath(demo.deployment));
  await writeFile(join(demo.deployment.leasesDir, "by-school", SCHOOL2), '[1,{"SHC00000003":"act01: torn');
  const torn = await runBundle(["status"], demo.deployment);
  assert.equal(torn.code, 3);
  assert.match(torn.stderr, new RegExp(`cannot read .*by-school/${SCHOOL2}: not a by-school lease file`));
  assert.match(torn.stdout, new RegExp(`\\n${SCHOOL2} +- +unreadable `));
});
