// When a run calls post_hook and what it gives it (the process itself: test/e2e/post-hook.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { exitCodeAfterFailedHook, nameLines, obsoleteHookUse, postHookCall } from "../../src/core/post-hook.js";
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

test("a school held by the shrink guard is changed when laptops were added to it, not otherwise", () => {
  const held = (signed?: number): SchoolOutcome => ({ status: "failed", hostname: "s.h.org", error: "held", ms: 1, held: true, signed });
  assert.equal(postHookCall(report([held()]), "/l"), undefined);
  assert.deepEqual(postHookCall(report([held(12), regenerated("s.a.org")]), "/l")?.changed, ["s.a.org", "s.h.org"]);
});

test("the re-signed and removed schools in byte order, and only short values in the environment", () => {
  const call = postHookCall(
    report([regenerated("s.b.org"), upToDate, regenerated("s.a.org"), failed], { removedSchools: ["s.z.org", "s.y.org"] }),
    "/l",
  );
  assert.deepEqual(call, {
    changed: ["s.a.org", "s.b.org"],
    removed: ["s.y.org", "s.z.org"],
    env: {
      LEASEGEN_LEASES_DIR: "/l",
      LEASEGEN_CHANGED_COUNT: "2",
      LEASEGEN_REMOVED_COUNT: "2",
      LEASEGEN_STOLEN_CHANGED: "0",
    },
  });
});

test("a school regenerated with every lease kept, its file unchanged, is not given to the hook", () => {
  const unchanged: SchoolOutcome = { ...regenerated("s.c.org"), signed: 0, kept: 1, laptopFiles: 0, schoolFileWritten: false };
  assert.equal(postHookCall(report([unchanged, upToDate]), "/l"), undefined);
  assert.deepEqual(postHookCall(report([unchanged, regenerated("s.a.org")]), "/l")?.changed, ["s.a.org"]);
});

test("a removed school alone, or rewritten stolen lists alone, call the hook with no re-signed school", () => {
  assert.deepEqual(postHookCall(report([upToDate], { removedSchools: ["s.z.org"] }), "/l")?.changed, []);
  const stolen = postHookCall(report([upToDate], { stolenChanged: true }), "/l");
  assert.deepEqual(stolen?.changed, []);
  assert.equal(stolen?.env["LEASEGEN_STOLEN_CHANGED"], "1");
  assert.equal(stolen?.env["LEASEGEN_CHANGED_COUNT"], "0");
});

test("10,000 re-signed schools of 60-character names: no environment value grows with them", () => {
  const names = Array.from({ length: 10_000 }, (_, i) => `school${String(i).padStart(5, "0")}.${"x".repeat(49)}`);
  const call = postHookCall(report(names.map(regenerated)), "/var/lib/xo-activations");
  assert.equal(call?.changed.length, 10_000);
  for (const value of Object.values(call?.env ?? {})) assert.ok(value.length < 100, value);
});

test("names one per line, each whole: a name holding a space stays one line; one that could break a line is refused", () => {
  assert.equal(nameLines([]), "");
  assert.equal(nameLines(["a.example", "10.0.0.5", "Escuela Uno"]), "a.example\n10.0.0.5\nEscuela Uno\n");
  assert.throws(() => nameLines(["a\nb.example"]), /cannot give the hook "a\\nb.example" as one line: .*control character/);
  assert.throws(() => nameLines(["a\rb"]), /control character/);
  assert.throws(() => nameLines([""]), /is not a file name/);
});

test("a post_hook still written for the hostnames as arguments or in the old variables is named, with what to write", () => {
  const obsolete = [
    'rc=0; for h in "$@"; do rsync "by-school/$h" "x@$h:leases.sig" || rc=1; done; exit $rc',
    "push $*",
    "for h; do echo $h; done",
    "for h do echo $h; done",
    "echo ${@}",
    "push-all $LEASEGEN_CHANGED_SCHOOLS",
    'forget "${LEASEGEN_REMOVED_SCHOOLS}"',
  ];
  for (const command of obsolete) assert.match(obsoleteHookUse(command) ?? "", /no longer holds the hostnames: the hook reads/, command);
  const current = [
    "/usr/local/sbin/push-leases",
    'rc=0; while IFS= read -r h; do rsync "by-school/$h" "x@$h:leases.sig" </dev/null || rc=1; done; exit $rc',
    'xargs -r -n1 push < "$LEASEGEN_CHANGED_SCHOOLS_FILE"',
    'while IFS= read -r h; do forget "$h"; done < "$LEASEGEN_REMOVED_SCHOOLS_FILE"',
    "test $LEASEGEN_CHANGED_COUNT -gt 0 && push",
  ];
  for (const command of current) assert.equal(obsoleteHookUse(command), undefined, command);
});

test("a failed hook makes 0 into 3; 3 and 4 stay", () => {
  assert.equal(exitCodeAfterFailedHook(ExitCode.Ok), ExitCode.SomeFailed);
  assert.equal(exitCodeAfterFailedHook(ExitCode.SomeFailed), ExitCode.SomeFailed);
  assert.equal(exitCodeAfterFailedHook(ExitCode.NothingDone), ExitCode.NothingDone);
});
