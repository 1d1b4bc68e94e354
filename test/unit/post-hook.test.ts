// When a run calls post_hook and what it gives it (the process itself: test/e2e/post-hook.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { exitCodeAfterFailedHook, postHookCall } from "../../src/core/post-hook.js";
import type { RunReport, SchoolOutcome } from "../../src/core/report.js";
import { ExitCode } from "../../src/errors.js";

const regenerated = (hostname: string): SchoolOutcome & { status: "regenerated" } => ({
  status: "regenerated",
  hostname,
  reason: "list changed",
  laptops: 1,
  signed: 1,
  kept: 0,
  laptopFiles: 1,
  schoolFileWritten: true,
  expiry: "20300101T000000Z",
  ms: 1,
});
const upToDate: SchoolOutcome = { status: "up to date", hostname: "s.c.org", laptops: 1, ms: 1 };
const failed: SchoolOutcome = { status: "failed", hostname: "s.d.org", error: "HTTP 500", ms: 1 };
const wouldRegenerate: SchoolOutcome = {
  status: "would regenerate",
  hostname: "s.e.org",
  reason: "list changed",
  laptops: 1,
  signed: 1,
  kept: 0,
  expiry: "20300101T000000Z",
  ms: 1,
};
const report = (schools: SchoolOutcome[], more: Partial<RunReport> = {}): RunReport => ({
  dryRun: false,
  schools,
  removedSchools: [],
  seconds: 1,
  ...more,
});

test("a run that changed nothing under leases_dir calls no hook", () => {
  assert.equal(postHookCall(report([upToDate, failed, wouldRegenerate]), "/l"), undefined);
  assert.equal(postHookCall(report([upToDate], { stolenChanged: false }), "/l"), undefined);
});

test("regenerated schools are the arguments, in byte order, and in the environment with the rest", () => {
  const call = postHookCall(
    report([regenerated("s.b.org"), upToDate, regenerated("s.a.org"), failed], { removedSchools: ["s.z.org", "s.y.org"] }),
    "/l",
  );
  assert.deepEqual(call, {
    args: ["s.a.org", "s.b.org"],
    env: {
      LEASEGEN_LEASES_DIR: "/l",
      LEASEGEN_CHANGED_SCHOOLS: "s.a.org s.b.org",
      LEASEGEN_REMOVED_SCHOOLS: "s.y.org s.z.org",
      LEASEGEN_STOLEN_CHANGED: "0",
    },
  });
});

test("a school regenerated with every lease kept, its file unchanged, is not given to the hook", () => {
  const unchanged: SchoolOutcome = { ...regenerated("s.c.org"), signed: 0, kept: 1, laptopFiles: 0, schoolFileWritten: false };
  assert.equal(postHookCall(report([unchanged, upToDate]), "/l"), undefined);
  assert.deepEqual(postHookCall(report([unchanged, regenerated("s.a.org")]), "/l")?.args, ["s.a.org"]);
});

test("a removed school alone, or rewritten stolen lists alone, call the hook with no arguments", () => {
  assert.deepEqual(postHookCall(report([upToDate], { removedSchools: ["s.z.org"] }), "/l")?.args, []);
  const stolen = postHookCall(report([upToDate], { stolenChanged: true }), "/l");
  assert.deepEqual(stolen?.args, []);
  assert.equal(stolen?.env["LEASEGEN_STOLEN_CHANGED"], "1");
  assert.equal(stolen?.env["LEASEGEN_CHANGED_SCHOOLS"], "");
});

test("a failed hook makes 0 into 3; 3 and 4 stay", () => {
  assert.equal(exitCodeAfterFailedHook(ExitCode.Ok), ExitCode.SomeFailed);
  assert.equal(exitCodeAfterFailedHook(ExitCode.SomeFailed), ExitCode.SomeFailed);
  assert.equal(exitCodeAfterFailedHook(ExitCode.NothingDone), ExitCode.NothingDone);
});
