import assert from "node:assert/strict";
import { test } from "node:test";
import type { Serial } from "../../src/core/domain.js";
import { needsPreviousSerials, planSchool, type Policy, type PreviousOutput, type ReceivedSchool } from "../../src/core/school-plan.js";
import { planVanishedSchools } from "../../src/core/vanished-schools.js";
import type { Hostname } from "../../src/core/domain.js";

const now = new Date("2026-11-22T12:00:00Z");
const hourAgo = new Date(now.getTime() - 3600_000);
const policy: Policy = { force: false, staleSeconds: 604800, maxShrinkPercent: 50 };
const serials = (...list: string[]): Set<Serial> => new Set(list as Serial[]);
const received: ReceivedSchool = {
  checksum: "c1",
  serials: serials("A", "B", "C", "D"),
  stolen: [],
  reinstated: [],
  stolenList: new Set(),
};
const upToDate: PreviousOutput = { schoolFileExists: true, checksum: "c1", checksumWrittenAt: hourAgo };

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
