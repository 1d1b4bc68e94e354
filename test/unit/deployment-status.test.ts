import assert from "node:assert/strict";
import { test } from "node:test";
import { deploymentStatus, isUnknownSchool, summarizeLeases, type SchoolOnDisk } from "../../src/core/deployment-status.js";
import type { Hostname } from "../../src/core/domain.js";
import type { RunRecord, SchoolRecord } from "../../src/core/run-record.js";
import { lastRunText, outcomeText, printable, statusDocument, statusText } from "../../src/core/status-output.js";
import { DAY, NOW, daysFromNow, expiryText, h, input, lastRun, lease, school } from "../support/status-fixtures.js";

test("a by-school file sums up to its laptops, lease lines and earliest expiry; 'never' sets no date", () => {
  const leases = new Map([
    ["SHC00000001", lease("SHC00000001", "20261213T060000Z") + lease("SHC00000001", "20261201T060000Z")],
    ["SHC00000002", lease("SHC00000002", "00000000T000000Z")],
  ]);
  assert.deepEqual(summarizeLeases(leases), { laptops: 2, leases: 3, earliestExpiry: new Date("2026-12-01T06:00:00Z") });
  assert.deepEqual(summarizeLeases(new Map()), { laptops: 0, leases: 0, earliestExpiry: undefined });
  assert.match(summarizeLeases(new Map([["SHC00000001", "act01: torn"]])) as string, /"SHC00000001" is not lease lines/);
  const junk = new Map([["SHC00000001", `${lease("SHC00000001", "20261213T060000Z")}junk`]]);
  assert.match(summarizeLeases(junk) as string, /is not lease lines/, "trailing bytes after the last line");
  assert.match(
    summarizeLeases(new Map([["SHC00000001", lease("SHC00000001", "20261301T060000Z")]])) as string,
    /a lease has an impossible expiry 20261301T060000Z/,
  );
});

test("most urgent first: no lease file, then by earliest expiry (a failure first at equal expiry), then empty schools", () => {
  const failedAt: SchoolRecord = { outcome: "failed", reason: "x", at: NOW };
  const record: RunRecord = { schools: new Map([[h("e"), failedAt]]) };
  const status = deploymentStatus(
    input(
      [school("a", 10), school("b", undefined), school("c", 2), school("d", undefined, { leases: undefined }), school("e", 10)],
      record,
    ),
  );
  assert.deepEqual(
    status.schools.map((s) => s.hostname),
    ["d", "c", "e", "a", "b"].map(h),
  );
  assert.equal(status.schools[1]?.daysLeft, 2);
});

test("stale at is last signed plus stale_lease_threshold; totals; outcomes known or unknown", () => {
  const record: RunRecord = {
    schools: new Map([[h("a"), { outcome: "regenerated", reason: "stale", at: NOW }]]),
    listed: { at: NOW, hostnames: [h("a")] },
  };
  const status = deploymentStatus(input([school("a", 10), school("b", 12, { lastSignedAt: undefined })], record));
  assert.deepEqual(status.schools[0]?.staleAt, daysFromNow(6));
  assert.equal(status.schools[1]?.staleAt, undefined);
  assert.deepEqual(status.totals, {
    schools: 2,
    laptops: 4,
    leases: 6,
    outcomes: { regenerated: 1, "up to date": 0, failed: 0, held: 0, unknown: 1 },
  });
  assert.deepEqual(status.unlisted, [h("b")], "files on disk, not listed at the last run over every school");
  assert.equal(status.schools[1]?.listed, false);
});

test("next due: when the first lease is due, or the stale time if sooner; the next run when the record cannot tell", () => {
  const signedAt = daysFromNow(-2);
  const schoolFile = { size: 10, mtimeMs: 1 };
  const signings = [
    { signedAt, expiry: expiryText(daysFromNow(19)) }, // due 7 days after its signing
    { signedAt: daysFromNow(-1), expiry: expiryText(daysFromNow(5)) }, // 6 days of life: due after 3
  ];
  const due = (extra: Partial<SchoolOnDisk>): Date | undefined =>
    deploymentStatus(input([school("a", 5, { lastSignedAt: signedAt, schoolFile, renewal: { signings, schoolFile }, ...extra })]))
      .schools[0]?.nextDueAt;
  assert.deepEqual(due({}), daysFromNow(2));
  assert.deepEqual(due({ renewal: { signings: signings.slice(0, 1), schoolFile } }), daysFromNow(5));
  assert.deepEqual(due({ renewal: { signings: [], schoolFile } }), daysFromNow(5), "an empty school: the stale time");
  assert.equal(due({ renewal: undefined }), undefined, "no record: the next run checks its leases");
  assert.equal(due({ schoolFile: { size: 11, mtimeMs: 1 } }), undefined, "a school file that is not the one written");
  assert.equal(due({ lastSignedAt: undefined }), undefined, "no checksum file");
  const text = statusText(deploymentStatus(input([school("a", 5, { renewal: undefined })])));
  assert.match(text.split("\n")[1] ?? "", / next run /);
});

test("without a record (upgraded from the Ruby program) what cannot be known is undefined, not guessed", () => {
  const status = deploymentStatus(input([school("a", 10)]));
  assert.equal(status.unlisted, undefined);
  assert.equal(status.lastRun, undefined);
  assert.equal(status.lastSuccessAt, undefined);
  assert.equal(status.schools[0]?.listed, undefined);
  assert.equal(status.schools[0]?.last, undefined);
  const text = statusText(status);
  assert.match(text, /unknown \(no run recorded\)/);
  assert.match(text, /Last run: none recorded/);
  assert.match(text, /no longer lists: unknown until a run over every school/);
});

test("the last run's failures: its failed and held schools, then failures that are no school's (not when asking about some schools)", () => {
  const run = lastRun({ failed: 3, held: 1, exitCode: 3, otherFailures: [{ name: "(leases_dir)", outcome: "failed", reason: "EACCES" }] });
  const earlier = new Date(run.startedAt.getTime() - DAY);
  const record: RunRecord = {
    lastRun: run,
    schools: new Map<Hostname, SchoolRecord>([
      [h("b"), { outcome: "held", reason: "shrink", at: run.startedAt }],
      [h("a"), { outcome: "failed", reason: "HTTP 500", at: run.startedAt }],
      [h("c"), { outcome: "failed", reason: "an older failure", at: earlier }],
    ]),
  };
  const schools = [school("a", 10), school("b", 10), school("c", 10)];
  assert.deepEqual(deploymentStatus(input(schools, record)).lastRunFailures, [
    { name: h("a"), outcome: "failed", reason: "HTTP 500" },
    { name: h("b"), outcome: "held", reason: "shrink" },
    { name: "(leases_dir)", outcome: "failed", reason: "EACCES" },
  ]);
  const only = deploymentStatus(input([school("b", 10)], record, { only: new Set([h("b")]) }));
  assert.deepEqual(only.lastRunFailures, [{ name: h("b"), outcome: "held", reason: "shrink" }]);
});

test("what fails now: each school whose last outcome is a failure, whichever run, then the standing failures that are no school's", () => {
  const run = lastRun({ hostnames: [h("a")], otherFailures: [] });
  const earlier = new Date(run.startedAt.getTime() - DAY);
  const record: RunRecord = {
    lastRun: run,
    schools: new Map<Hostname, SchoolRecord>([
      [h("a"), { outcome: "regenerated", reason: "forced", at: run.startedAt }],
      [h("c"), { outcome: "failed", reason: "an older failure", at: earlier }],
      [h("b"), { outcome: "held", reason: "shrink", at: earlier }],
    ]),
    otherFailures: [{ name: "(school list)", outcome: "held", reason: "too many gone" }],
  };
  const schools = [school("a", 10), school("b", 10), school("c", 10)];
  assert.deepEqual(deploymentStatus(input(schools, record)).failures, [
    { name: h("b"), outcome: "held", reason: "shrink" },
    { name: h("c"), outcome: "failed", reason: "an older failure" },
    { name: "(school list)", outcome: "held", reason: "too many gone" },
  ]);
  assert.deepEqual(deploymentStatus(input(schools, record)).lastRunFailures, [], "the last run, limited to a, had none");
  const only = deploymentStatus(input([school("c", 10)], record, { only: new Set([h("c")]) }));
  assert.deepEqual(only.failures, [{ name: h("c"), outcome: "failed", reason: "an older failure" }]);
  const older: RunRecord = {
    ...record,
    otherFailures: undefined,
    lastRun: lastRun({ otherFailures: [{ name: "x", outcome: "failed", reason: "r" }] }),
  };
  assert.deepEqual(
    deploymentStatus(input([], older)).failures,
    [{ name: "x", outcome: "failed", reason: "r" }],
    "an older record: the last run's",
  );
});

test("a school asked about that nothing here knows is unknown", () => {
  const status = deploymentStatus(input([{ hostname: h("x") }, school("a", 3), { hostname: h("y"), unreadable: true }]));
  assert.deepEqual(
    status.schools.filter(isUnknownSchool).map((s) => s.hostname),
    [h("x")],
  );
});

test("the table: one line per school with every column, then totals, last run, stolen list, dropped schools", () => {
  const record: RunRecord = {
    lastRun: lastRun(),
    lastSuccessAt: lastRun().finishedAt,
    stolenListFetchedAt: lastRun().startedAt,
    listed: { at: NOW, hostnames: [h("a")] },
    schools: new Map([[h("a"), { outcome: "failed", reason: `${h("a")}: lease info: HTTP 500\u001b[31m`, at: lastRun().startedAt }]]),
  };
  const status = deploymentStatus(
    input([school("a", 2.5), school("old", 20)], record, { stolen: { laptops: 2, changedAt: daysFromNow(-3) }, runInProgress: true }),
  );
  const lines = statusText(status).split("\n");
  assert.match(lines[0] ?? "", /^SCHOOL +LAPTOPS +EARLIEST EXPIRY +DAYS LEFT +LAST SIGNED +NEXT DUE +LAST OUTCOME$/);
  // Signed a day ago, expiring in 2.5 days: due halfway, 1.75 days after its signing.
  assert.equal(
    lines[1],
    "a.example.org          2  2026-11-25 00:00Z        2.5  2026-11-21 12:00Z  2026-11-23 06:00Z  failed: lease info: HTTP 500?[31m, 2026-11-22 11:00Z",
  );
  assert.match(
    lines[2] ?? "",
    /^old\.example\.org +2 +2026-12-12 12:00Z +20\.0 .* unknown \(no run recorded\); not listed by inventario any more$/,
  );
  assert.equal(lines[3], "");
  assert.match(
    lines[4] ?? "",
    /^Totals: 2 schools, 4 laptops with a lease, 6 leases; last outcomes: 0 regenerated, 0 up to date, 1 failed, 0 held, 1 unknown$/,
  );
  assert.equal(
    lines[5],
    "Last run: 2026-11-22 11:00Z (60 min ago), 1.5 s, exit 0 (all done): 1 regenerated, 2 up to date, 0 failed (0 held), 5 leases signed",
  );
  assert.equal(lines[6], "Last successful run (every school, exit 0 or 3): 2026-11-22 11:00Z (60 min ago)");
  assert.equal(lines[7], "Stolen list: 2 laptops, fetched 2026-11-22 11:00Z (60 min ago), last changed 2026-11-19 12:00Z (3.0 days ago)");
  assert.equal(lines[8], "Files of schools inventario no longer lists: old.example.org");
  assert.match(lines[9] ?? "", /^A run is in progress/);
});

test("an interrupted last run: what it finished, and by which signal", () => {
  const run = lastRun({ exitCode: 143, error: "interrupted by SIGTERM" });
  assert.equal(
    lastRunText(run, NOW),
    "2026-11-22 11:00Z (60 min ago), 1.5 s, exit 143 (interrupted): interrupted by SIGTERM: 1 regenerated, 2 up to date, 0 failed (0 held), 5 leases signed",
  );
});

test("--json: the same data as one document", () => {
  const record: RunRecord = { lastRun: lastRun(), lastSuccessAt: lastRun().finishedAt, schools: new Map() };
  const document = JSON.parse(JSON.stringify(statusDocument(deploymentStatus(input([school("a", 2.5)], record))))) as Record<
    string,
    unknown
  >;
  assert.deepEqual(Object.keys(document), [
    "version",
    "now",
    "schools",
    "totals",
    "lastRun",
    "lastSuccessAt",
    "stolenList",
    "unlisted",
    "lastRunFailures",
    "failures",
    "runInProgress",
    "runStartedAt",
    "problems",
  ]);
  assert.deepEqual((document["schools"] as unknown[])[0], {
    hostname: "a.example.org",
    laptops: 2,
    leases: 3,
    unreadable: false,
    earliestExpiry: "2026-11-25T00:00:00.000Z",
    daysLeft: 2.5,
    lastSignedAt: "2026-11-21T12:00:00.000Z",
    staleAt: "2026-11-28T12:00:00.000Z",
    nextDueAt: "2026-11-23T06:00:00.000Z",
    listed: null,
    lastOutcome: null,
  });
  assert.equal((document["lastRun"] as Record<string, unknown>)["finishedAt"], "2026-11-22T11:00:01.500Z");
  assert.equal(document["unlisted"], null);
});

test("a recorded reason is shown on one line and never reversed; a quoted hostname's prefix is not shown twice", () => {
  assert.equal(printable("a\nb\u202ec\u0085d\u2028"), "a?b?c?d?");
  const at = new Date("2026-11-22T02:32:00Z");
  const reason = '"eq=val x=1": lease info: HTTP 500 (inventario failed)';
  assert.equal(
    outcomeText("eq=val x=1", { outcome: "failed", reason, at }, true),
    "failed: lease info: HTTP 500 (inventario failed), 2026-11-22 02:32Z",
  );
});
