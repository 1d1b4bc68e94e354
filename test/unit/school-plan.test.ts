import assert from "node:assert/strict";
import { test } from "node:test";
import type { Serial } from "../../src/core/domain.js";
import {
  INTERRUPTED_AT,
  lastCommitComplete,
  needsPreviousSerials,
  planSchool,
  type Policy,
  type PreviousOutput,
  type ReceivedSchool,
} from "../../src/core/school-plan.js";
import { planVanishedSchools } from "../../src/core/vanished-schools.js";
import type { Expiry, Hostname } from "../../src/core/domain.js";

const KEY = "a".repeat(64);

const now = new Date("2026-11-22T12:00:00Z");
const hourAgo = new Date(now.getTime() - 3600_000);
const policy: Policy = { force: false, staleSeconds: 604800, maxShrinkPercent: 50, keyId: KEY };
const serials = (...list: string[]): Set<Serial> => new Set(list as Serial[]);
const received: ReceivedSchool = {
  checksum: "c1",
  serials: serials("A", "B", "C", "D"),
  stolen: [],
  reinstated: [],
  stolenList: new Set(),
};
const stamp = { size: 1234, mtimeMs: hourAgo.getTime() + 0.25 };
/** Signed an hour ago, expiring in 21 days. */
const signing = { signedAt: hourAgo, expiry: "20261213T060000Z" as Expiry };
const upToDate: PreviousOutput = {
  schoolFileExists: true,
  schoolFile: stamp,
  checksum: "c1",
  checksumWrittenAt: hourAgo,
  renewal: { keyId: KEY, signings: [signing], schoolFile: stamp },
};

test("up to date: file exists, same checksum, fresh checksum file", () => {
  assert.deepEqual(planSchool(received, upToDate, policy, now), { action: "skip", reason: "up to date" });
});

test("each reason to regenerate, in order of precedence", () => {
  const reason = (r: ReceivedSchool, p: PreviousOutput, pol = policy): unknown => planSchool(r, p, pol, now);
  assert.deepEqual(reason(received, upToDate, { ...policy, force: true }), { action: "regenerate", reason: "forced" });
  assert.deepEqual(reason(received, { ...upToDate, schoolFileExists: false }), { action: "regenerate", reason: "output missing" });
  assert.deepEqual(reason(received, { schoolFileExists: true }), { action: "regenerate", reason: "no state" });
  assert.deepEqual(reason({ ...received, checksum: "c2" }, upToDate), { action: "regenerate", reason: "list changed" });
  const stale = { ...upToDate, checksumWrittenAt: new Date(now.getTime() - 604800_000) };
  assert.deepEqual(reason(received, stale), { action: "regenerate", reason: "stale" });
  const almostStale = { ...upToDate, checksumWrittenAt: new Date(now.getTime() - 604799_000) };
  assert.deepEqual(reason(received, almostStale), { action: "skip", reason: "up to date" });
});

test("issue 17: a school is due when one of its leases is, or when the record cannot vouch for them", () => {
  const plan = (previous: PreviousOutput): unknown => planSchool(received, previous, policy, now);
  const regenerate = (reason: string): unknown => ({ action: "regenerate", reason });
  const withSignings = (...signings: { signedAt: Date; expiry: Expiry }[]): PreviousOutput => ({
    ...upToDate,
    renewal: { keyId: KEY, signings, schoolFile: stamp },
  });
  assert.deepEqual(plan({ ...upToDate, renewal: undefined }), regenerate("no record"), "the Ruby program's state: checked once");
  assert.deepEqual(plan({ ...upToDate, checksumWrittenAt: INTERRUPTED_AT }), regenerate("interrupted"));
  assert.deepEqual(plan({ ...upToDate, schoolFile: { ...stamp, size: 1235 } }), regenerate("output damaged"));
  assert.deepEqual(plan({ ...upToDate, schoolFile: { ...stamp, mtimeMs: stamp.mtimeMs + 1 } }), regenerate("output damaged"));
  assert.deepEqual(
    plan({ ...upToDate, renewal: { keyId: "b".repeat(64), signings: [signing], schoolFile: stamp } }),
    regenerate("key changed"),
  );
  // One lease of two past half its life: signed 3 days ago for 5 days (the defect: a short lease kept "up to date" until T).
  const short = { signedAt: new Date(now.getTime() - 3 * 86400_000), expiry: "20261124T120000Z" as Expiry };
  assert.deepEqual(plan(withSignings(signing, short)), regenerate("lease due"));
  const expired = { signedAt: new Date(now.getTime() - 2 * 86400_000), expiry: "20261122T110000Z" as Expiry };
  assert.deepEqual(plan(withSignings(expired)), regenerate("lease due"));
  const old = { signedAt: new Date(now.getTime() - 604800_000), expiry: "20261213T060000Z" as Expiry };
  assert.deepEqual(plan(withSignings(signing, old)), regenerate("lease due"), "signed T ago");
  const fresh = { signedAt: new Date(now.getTime() - 604799_000), expiry: "20261213T060000Z" as Expiry };
  assert.deepEqual(plan(withSignings(signing, fresh)), { action: "skip", reason: "up to date" });
});

test("the laptop files are trusted only after a finished commit whose school file is untouched", () => {
  assert.equal(lastCommitComplete(upToDate), true);
  assert.equal(lastCommitComplete({ ...upToDate, checksumWrittenAt: INTERRUPTED_AT }), false, "a commit killed midway");
  assert.equal(lastCommitComplete({ ...upToDate, checksumWrittenAt: undefined }), false);
  assert.equal(lastCommitComplete({ ...upToDate, schoolFile: { ...stamp, size: 1 } }), false, "a school file that changed since");
  assert.equal(lastCommitComplete({ ...upToDate, renewal: undefined }), false, "no record of it");
});

test("a listed stolen laptop still in the school file forces regeneration; once gone, it does not", () => {
  const withStolen = { ...received, stolen: ["E" as Serial] };
  assert.equal(planSchool(withStolen, upToDate, policy, now).action, "regenerate");
  assert.deepEqual(planSchool(withStolen, { ...upToDate, serials: serials("A", "B", "C", "D", "E") }, policy, now), {
    action: "regenerate",
    reason: "stolen laptop listed",
  });
  assert.equal(planSchool(withStolen, { ...upToDate, serials: serials("A", "B", "C", "D") }, policy, now).action, "skip");
});

test("a laptop taken off the stolen list is signed again unless its school file already has it", () => {
  const withReinstated = { ...received, reinstated: ["D" as Serial] };
  assert.equal(planSchool(withReinstated, upToDate, policy, now).action, "regenerate", "school file not read yet: assume missing");
  assert.deepEqual(planSchool(withReinstated, { ...upToDate, serials: serials("A", "B", "C") }, policy, now), {
    action: "regenerate",
    reason: "laptop no longer stolen",
  });
  assert.equal(planSchool(withReinstated, { ...upToDate, serials: serials("A", "B", "C", "D") }, policy, now).action, "skip");
});

test("shrink guard: more than max_shrink_percent lost is held, --force lets it through, 100 disables", () => {
  const previous = { ...upToDate, checksum: "old", serials: serials("A", "B", "C", "D", "E", "F", "G", "H") };
  assert.equal(planSchool(received, previous, policy, now).action, "regenerate"); // 4 of 8 lost: exactly 50%
  const shrunk = { ...received, serials: serials("A", "B", "C") };
  assert.deepEqual(planSchool(shrunk, previous, policy, now), {
    action: "hold",
    reason: "shrink",
    previousCount: 8,
    removed: 5,
    added: [],
  });
  assert.deepEqual(planSchool(shrunk, previous, { ...policy, force: true }, now), { action: "regenerate", reason: "forced" });
  assert.equal(planSchool({ ...received, serials: serials() }, previous, { ...policy, maxShrinkPercent: 100 }, now).action, "regenerate");
  assert.equal(planSchool({ ...received, serials: serials() }, previous, { ...policy, maxShrinkPercent: 0 }, now).action, "hold");
});

test("the guard holds removals only: a full swap is held, and the laptops it adds are named to be added", () => {
  const previous = { ...upToDate, checksum: "old", serials: serials("A", "B") };
  const swapped = { ...received, serials: serials("N3", "N1", "N2") };
  assert.deepEqual(planSchool(swapped, previous, policy, now), {
    action: "hold",
    reason: "shrink",
    previousCount: 2,
    removed: 2,
    added: ["N1", "N2", "N3"],
  });
  // Once added (the signed record says so), they neither dilute the loss nor are added again.
  const afterAdding = { ...previous, serials: serials("A", "B", "N1", "N2", "N3"), heldAdded: serials("N1", "N2", "N3") };
  assert.deepEqual(planSchool(swapped, afterAdding, policy, now), {
    action: "hold",
    reason: "shrink",
    previousCount: 2,
    removed: 2,
    added: [],
  });
  // Without that record the added laptops would count as the school's own: 2 of 5 lost is let through.
  assert.deepEqual(planSchool(swapped, { ...afterAdding, heldAdded: undefined }, policy, now), {
    action: "regenerate",
    reason: "list changed",
  });
  // The list comes back: nothing is lost, the school is regenerated (the added laptops kept if listed).
  const back = { ...received, serials: serials("A", "B", "N1") };
  assert.deepEqual(planSchool(back, afterAdding, policy, now), { action: "regenerate", reason: "list changed" });
  // --force applies the removals.
  assert.deepEqual(planSchool(swapped, afterAdding, { ...policy, force: true }, now), { action: "regenerate", reason: "forced" });
});

test("laptops that left the school for the stolen list are revoked, never counted as lost", () => {
  const previous = { ...upToDate, checksum: "old", serials: serials("A", "B", "C", "D", "E", "F", "G", "H") };
  const shrunk = { ...received, serials: serials("A", "B", "C") };
  assert.equal(planSchool(shrunk, previous, policy, now).action, "hold");
  const wentStolen = { ...shrunk, stolenList: new Set(["D", "E", "F"]) };
  assert.deepEqual(planSchool(wentStolen, previous, policy, now), { action: "regenerate", reason: "list changed" });
});

test("a checksum file dated in the future (a clock that was ahead) makes the school stale", () => {
  const ahead = (seconds: number): PreviousOutput => ({ ...upToDate, checksumWrittenAt: new Date(now.getTime() + seconds * 1000) });
  assert.deepEqual(planSchool(received, ahead(3 * 365 * 86400), policy, now), { action: "regenerate", reason: "state from the future" });
  assert.deepEqual(planSchool(received, ahead(301), policy, now), { action: "regenerate", reason: "state from the future" });
  assert.deepEqual(planSchool(received, ahead(60), policy, now), { action: "skip", reason: "up to date" }, "a little skew is tolerated");
});

test("the school file is read only when the plan could change with it", () => {
  assert.equal(needsPreviousSerials(planSchool(received, upToDate, policy, now), upToDate), false);
  const changed = { ...received, checksum: "c2" };
  assert.equal(needsPreviousSerials(planSchool(changed, upToDate, policy, now), upToDate), true);
  assert.equal(needsPreviousSerials(planSchool(changed, { schoolFileExists: false }, policy, now), { schoolFileExists: false }), false);
  const forced = { ...policy, force: true };
  assert.equal(needsPreviousSerials(planSchool(changed, upToDate, forced, now), upToDate), false, "--force skips the shrink guard");
});

test("vanished schools are removed unless too many vanish at once", () => {
  const hosts = (...list: string[]): Hostname[] => list as Hostname[];
  assert.deepEqual(planVanishedSchools(hosts("a", "b", "c"), hosts("a", "b"), policy), { action: "remove", vanished: ["c"] });
  assert.deepEqual(planVanishedSchools(hosts("a", "b", "c"), hosts(), policy), { action: "hold", vanished: ["a", "b", "c"], existing: 3 });
  assert.deepEqual(planVanishedSchools(hosts("a", "b", "c"), hosts(), { ...policy, force: true }), {
    action: "remove",
    vanished: ["a", "b", "c"],
  });
  assert.deepEqual(planVanishedSchools(hosts(), hosts("a"), policy), { action: "remove", vanished: [] });
  // A school inventario still lists, even under a name this program refuses, is not vanished.
  assert.deepEqual(planVanishedSchools(hosts("10.1.2.3", "b"), ["10.1.2.3", "-refused", "b"], policy), { action: "remove", vanished: [] });
});
