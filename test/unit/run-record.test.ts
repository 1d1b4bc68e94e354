import assert from "node:assert/strict";
import { test } from "node:test";
import type { Hostname } from "../../src/core/domain.js";
import type { RunReport, SchoolOutcome } from "../../src/core/report.js";
import { readRunRecord, runRecordText } from "../../src/core/run-record-file.js";
import { EMPTY_RUN_RECORD, nextRunRecord, type FinishedRun } from "../../src/core/run-record.js";
import { RecordError } from "../../src/core/signed-record.js";

const A = "a.example.org" as Hostname;
const B = "b.example.org" as Hostname;
const C = "c.example.org" as Hostname;
const T0 = new Date("2026-11-20T02:00:00.000Z");
const T1 = new Date("2026-11-21T02:00:00.000Z");

const regenerated = (hostname: string): SchoolOutcome => ({
  status: "regenerated",
  hostname,
  reason: "list changed",
  laptops: 3,
  signed: 2,
  kept: 1,
  laptopFiles: 2,
  schoolFileWritten: true,
  expiry: "20301231T060000Z",
  ms: 5,
});
const upToDate = (hostname: string): SchoolOutcome => ({ status: "up to date", hostname, laptops: 1, ms: 1 });
const failed = (hostname: string, held = false): SchoolOutcome => ({
  status: "failed",
  hostname,
  error: `${hostname}: broken`,
  ms: 1,
  held,
});
const report = (schools: SchoolOutcome[], extra: Partial<RunReport> = {}): RunReport => ({
  dryRun: false,
  schools,
  removedSchools: [],
  seconds: 1,
  ...extra,
});

function finished(at: Date, exitCode: number, extra: Partial<FinishedRun> = {}): FinishedRun {
  return { startedAt: at, finishedAt: new Date(at.getTime() + 1500), exitCode, force: false, ...extra };
}

test("a run over every school records each outcome, the listed schools and the success", () => {
  const schools = [regenerated(A), upToDate(B), failed(C, true), failed("bad/name"), { ...failed("(leases_dir)"), step: true }];
  const record = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 3, { report: report(schools) }));
  assert.deepEqual(record.schools.get(A), { outcome: "regenerated", reason: "list changed", at: T0 });
  assert.deepEqual(record.schools.get(B), { outcome: "up to date", reason: undefined, at: T0 });
  assert.deepEqual(record.schools.get(C), { outcome: "held", reason: `${C}: broken`, at: T0 }, "held is told apart from failed");
  assert.equal(record.schools.size, 3, "only valid hostnames are schools");
  assert.deepEqual(record.listed, { at: T0, hostnames: [A, B, C] });
  assert.deepEqual(record.lastSuccessAt, new Date(T0.getTime() + 1500), "exit 3 counts as a success");
  assert.deepEqual(record.stolenListFetchedAt, T0);
  const run = record.lastRun;
  assert.equal(run?.exitCode, 3);
  assert.deepEqual(
    [run?.regenerated, run?.upToDate, run?.failed, run?.held, run?.leasesSigned, run?.removedSchools],
    [1, 1, 3, 1, 2, 0],
    "the summary line's counts; failed includes held",
  );
  assert.deepEqual(run?.otherFailures, [
    { name: "bad/name", outcome: "failed", reason: "bad/name: broken" },
    { name: "(leases_dir)", outcome: "failed", reason: "(leases_dir): broken" },
  ]);
});

test("a HOST-limited run keeps the other schools' outcomes and is not the last success", () => {
  const first = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 0, { report: report([upToDate(A), upToDate(B)]) }));
  const limited = nextRunRecord(first, finished(T1, 0, { hostnames: [B], force: true, report: report([regenerated(B)]) }));
  assert.deepEqual(limited.schools.get(A), { outcome: "up to date", reason: undefined, at: T0 });
  assert.deepEqual(limited.schools.get(B), { outcome: "regenerated", reason: "list changed", at: T1 });
  assert.deepEqual(limited.lastSuccessAt, first.lastSuccessAt, "a limited run does not prove cron runs every school");
  assert.deepEqual(limited.listed, first.listed);
  assert.deepEqual(limited.lastRun?.hostnames, [B]);
  assert.equal(limited.lastRun?.force, true);
});

test("a run over every school forgets schools no longer listed, and removed ones", () => {
  const first = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 0, { report: report([upToDate(A), upToDate(B)]) }));
  const next = nextRunRecord(first, finished(T1, 0, { report: report([upToDate(A)], { removedSchools: [B] }) }));
  assert.deepEqual([...next.schools.keys()], [A]);
  assert.deepEqual(next.listed?.hostnames, [A]);
  assert.equal(next.lastRun?.removedSchools, 1);
});

test("a run that did nothing keeps every outcome; exit 4 is not a success; a failed stolen list keeps its fetch time", () => {
  const first = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 0, { report: report([upToDate(A)]) }));
  const dead = nextRunRecord(first, finished(T1, 4, { error: "school list: ECONNREFUSED" }));
  assert.equal(dead.schools, first.schools);
  assert.deepEqual(dead.lastSuccessAt, first.lastSuccessAt);
  assert.equal(dead.lastRun?.error, "school list: ECONNREFUSED");
  assert.equal(dead.lastRun?.exitCode, 4);
  const noStolen = nextRunRecord(first, finished(T1, 3, { report: report([upToDate(A)], { stolenError: "HTTP 500" }) }));
  assert.deepEqual(noStolen.stolenListFetchedAt, T0);
  assert.equal(noStolen.lastRun?.stolenListFailed, true);
});

test("the record reads back as written, one line", () => {
  const first = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 3, { report: report([regenerated(A), failed(C, true), failed("x y")]) }));
  const record = nextRunRecord(first, finished(T1, 0, { hostnames: ["a.example.org"], report: report([upToDate(A)]) }));
  const text = runRecordText(record);
  assert.match(text, /^\{"version":1,"lastRun":\{"startedAt":"2026-11-21T02:00:00\.000Z",.*\}\n$/);
  assert.equal(text.split("\n").length, 2);
  assert.deepEqual(readRunRecord(text), record);
  assert.deepEqual(readRunRecord(runRecordText(EMPTY_RUN_RECORD)), {
    ...EMPTY_RUN_RECORD,
    lastRun: undefined,
    lastSuccessAt: undefined,
    stolenListFetchedAt: undefined,
    listed: undefined,
    otherFailures: [],
  });
});

test("a school that failed stays failed until a run succeeds for it; failures that are no school's until a run over every school", () => {
  const step = { ...failed("(school list)", true), step: true };
  const full = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 3, { report: report([upToDate(A), failed(B), step]) }));
  const limited = nextRunRecord(full, finished(T1, 0, { hostnames: [A], report: report([regenerated(A)]) }));
  assert.equal(limited.schools.get(B)?.outcome, "failed", "a run limited to a.example says nothing about b.example");
  assert.deepEqual(limited.lastRun?.otherFailures, []);
  assert.deepEqual(limited.otherFailures, [{ name: "(school list)", outcome: "held", reason: "(school list): broken" }]);
  const again = nextRunRecord(limited, finished(T1, 0, { hostnames: [B], report: report([upToDate(B)]) }));
  assert.equal(again.schools.get(B)?.outcome, "up to date");
  const sweep = { ...failed("(leases_dir)"), step: true };
  const swept = nextRunRecord(again, finished(T1, 3, { hostnames: [A], report: report([upToDate(A), sweep]) }));
  assert.deepEqual(
    swept.otherFailures?.map((other) => other.name),
    ["(school list)", "(leases_dir)"],
  );
  const complete = nextRunRecord(swept, finished(T1, 0, { report: report([upToDate(A), upToDate(B)]) }));
  assert.deepEqual(complete.otherFailures, [], "a run over every school says what stands now");
});

test("an interrupted run records what it finished, keeps the other schools' outcomes, and is not a success", () => {
  const first = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 0, { report: report([upToDate(A), failed(B)]) }));
  const interrupted = report([regenerated(A)], { interrupted: true });
  const record = nextRunRecord(first, finished(T1, 143, { report: interrupted, error: "interrupted by SIGTERM" }));
  assert.equal(record.schools.get(A)?.outcome, "regenerated");
  assert.equal(record.schools.get(B)?.outcome, "failed", "not looked at: kept");
  assert.deepEqual(record.listed, first.listed);
  assert.deepEqual(record.lastSuccessAt, first.lastSuccessAt);
  assert.equal(record.lastRun?.error, "interrupted by SIGTERM");
  assert.equal(record.lastRun?.exitCode, 143);
  assert.deepEqual(readRunRecord(runRecordText(record)), record);
});

test("what went wrong with the stolen list is recorded; a record from before that field and otherFailures is still read", () => {
  const held = "stolen list held by the shrink guard: 8 of its 10 entries would be dropped at once";
  const record = nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 3, { report: report([upToDate(A)], { stolenError: held }) }));
  assert.equal(record.lastRun?.stolenListError, held);
  assert.equal(readRunRecord(runRecordText(record)).lastRun?.stolenListError, held);
  const old = JSON.parse(runRecordText(record)) as Record<string, Record<string, unknown>>;
  delete old["otherFailures"];
  delete old["lastRun"]?.["stolenListError"];
  const read = readRunRecord(JSON.stringify(old));
  assert.equal(read.otherFailures, undefined);
  assert.equal(read.lastRun?.stolenListError, undefined);
});

test("a damaged or hand-edited record is refused, saying why; hostnames are validated", () => {
  const good = JSON.parse(runRecordText(nextRunRecord(EMPTY_RUN_RECORD, finished(T0, 0, { report: report([upToDate(A)]) })))) as Record<
    string,
    Record<string, unknown>
  >;
  const edit = (change: (doc: typeof good) => void): string => {
    const doc = structuredClone(good);
    change(doc);
    return JSON.stringify(doc);
  };
  const cases: [string, RegExp][] = [
    ["{", /not JSON/],
    ["[]", /the document is not an object/],
    [edit((d) => (d["version"] = 2 as never)), /unknown version/],
    [
      edit((d) => ((d["schools"] as Record<string, unknown>)["../../etc"] = { outcome: "failed", reason: null, at: T0.toISOString() })),
      /schools: hostname "\.\.\/\.\.\/etc"/,
    ],
    [edit((d) => (d["listed"] = { at: T0.toISOString(), hostnames: ["a/b"] })), /listed\.hostnames: hostname "a\/b"/],
    [
      edit((d) => (((d["schools"] as Record<string, Record<string, unknown>>)[A] as Record<string, unknown>)["outcome"] = "fine")),
      /unknown outcome/,
    ],
    [edit((d) => ((d["lastRun"] as Record<string, unknown>)["exitCode"] = -1)), /lastRun\.exitCode is not a count/],
    [edit((d) => ((d["lastRun"] as Record<string, unknown>)["finishedAt"] = "yesterday")), /lastRun\.finishedAt is not a date/],
    [edit((d) => delete d["lastSuccessAt"]), /lastSuccessAt is not a date/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => readRunRecord(text),
      (error: unknown) => error instanceof RecordError && why.test(error.message),
      text,
    );
  }
});
