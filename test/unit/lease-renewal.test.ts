// The pure decisions of issue 17: when a lease is due, which current lines a regeneration may
// keep, and the expiry too close to sign with. `now` is a parameter throughout.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Expiry, Laptop, Serial, Uuid } from "../../src/core/domain.js";
import { leaseLine } from "../../src/core/lease.js";
import {
  expiryTooClose,
  isLeaseDue,
  keepCandidates,
  keptLeases,
  leaseDueAt,
  nextDueAt,
  oldestSigning,
  renewedLeases,
  toSign,
  type KeepPolicy,
  type Signing,
  type SigningOf,
} from "../../src/core/lease-renewal.js";

const DAY = 86400_000;
const T = 7 * 86400;
const now = new Date("2026-11-22T12:00:00Z");
const ago = (days: number): Date => new Date(now.getTime() - days * DAY);
const KEY = "a".repeat(64);
const OTHER_KEY = "b".repeat(64);
const E = "20261213T060000Z" as Expiry;

const laptop = (serial: string, uuid: string): Laptop => ({ serial: serial as Serial, uuid: uuid as Uuid });
const A = laptop("SHC00000001", "11111111-1111-1111-1111-111111111111");
const B = laptop("SHC00000002", "22222222-2222-2222-2222-222222222222");
const B2 = laptop("SHC00000002", "33333333-3333-3333-3333-333333333333");
const line = (serial: string, expiry: string, sig: string, key = KEY): string =>
  leaseLine(serial as Serial, expiry as Expiry, key, sig.repeat(512));

test("a lease is due T after its signing or halfway through its life, whichever comes first", () => {
  const long = { signedAt: ago(1), expiry: "20261213T120000Z" as Expiry }; // 22 days: T comes first
  assert.deepEqual(leaseDueAt(long, T), new Date(ago(1).getTime() + 7 * DAY));
  const short = { signedAt: ago(1), expiry: "20261125T120000Z" as Expiry }; // 4 days: half is 2 days
  assert.deepEqual(leaseDueAt(short, T), new Date(ago(1).getTime() + 2 * DAY));
  assert.equal(isLeaseDue(short, T, now), false);
  assert.equal(isLeaseDue(short, T, new Date(now.getTime() + DAY - 1)), false);
  assert.equal(isLeaseDue(short, T, new Date(now.getTime() + DAY)), true, "exactly half its life left");
  assert.equal(isLeaseDue({ signedAt: ago(7), expiry: E }, T, now), true, "signed exactly T ago");
  assert.equal(isLeaseDue({ signedAt: ago(8), expiry: "20261121T000000Z" as Expiry }, T, now), true, "expired");
  assert.equal(isLeaseDue({ signedAt: new Date(now.getTime() + 301_000), expiry: E }, T, now), true, "signed in the future");
  assert.equal(isLeaseDue({ signedAt: new Date(now.getTime() + 60_000), expiry: E }, T, now), false, "a little skew");
  assert.deepEqual(nextDueAt([long, short], T), leaseDueAt(short, T));
  assert.equal(nextDueAt([], T), undefined);
  assert.deepEqual(oldestSigning([short, { signedAt: ago(3), expiry: E }, long]), ago(3));
  assert.equal(oldestSigning([]), undefined);
});

test("an expiry less than 24 hours ahead is refused, saying how far ahead it is", () => {
  assert.match(
    expiryTooClose("20261122T120200Z" as Expiry, now) ?? "",
    /^inventario suggested an expiry 2 minutes ahead \(20261122T120200Z\)/,
  );
  assert.match(expiryTooClose("20261123T115959Z" as Expiry, now) ?? "", /1439 minutes ahead/);
  assert.equal(expiryTooClose("20261123T120000Z" as Expiry, now), undefined);
  assert.equal(expiryTooClose(E, now), undefined);
});

const policy: KeepPolicy = { keyId: KEY, staleSeconds: T, expiry: E, now };
/** Every lease signed a day ago with the line's own expiry. */
const dayAgo: SigningOf = (_laptop, expiry) => ({ signedAt: ago(1), expiry });

test("a line may be kept only in the exact format, for the serial, with the key, not due, not later than E", () => {
  const good = line("SHC00000001", "20261212T060000Z", "1");
  const current = new Map([["SHC00000001", good]]);
  const [candidate, ...more] = keepCandidates([A], current, dayAgo, policy);
  assert.deepEqual(more, []);
  assert.equal(candidate?.line, good);
  assert.equal(candidate?.message, `SHC00000001:${A.uuid}:K:20261212T060000Z`, "its signature must sign the UUID listed now");
  assert.equal(candidate?.signature, "1".repeat(512));
  const none = (text: string, signingOf = dayAgo, keep = policy): void =>
    assert.deepEqual(keepCandidates([A], new Map([["SHC00000001", text]]), signingOf, keep), [], text.slice(0, 40));
  none(line("SHC00000001", "20261212T060000Z", "1", OTHER_KEY));
  none(line("SHC00000009", "20261212T060000Z", "1"));
  none(good.replace("\n", " \n"));
  none(line("SHC00000001", "20261214T060000Z", "1"), dayAgo, policy); // later than E
  none(good, dayAgo, { ...policy, expiry: "20261212T055959Z" as Expiry }); // E shortened
  none(good, () => undefined); // signing time unknown
  none(good, (_l, expiry) => ({ signedAt: ago(7), expiry })); // older than T
  none(line("SHC00000001", "20261123T060000Z", "1")); // 1.75 days of a 2.75-day life: past half
  none(good, () => ({ signedAt: ago(1), expiry: "20261211T060000Z" as Expiry })); // the record's signing is of another line
  assert.deepEqual(keepCandidates([A], new Map(), dayAgo, policy), [], "a new laptop");
});

test("a serial with two UUIDs offers both lines to each; the verified ones are kept once each", () => {
  const l1 = line("SHC00000002", "20261212T060000Z", "1");
  const l2 = line("SHC00000002", "20261212T060000Z", "2");
  const current = new Map([["SHC00000002", [l1, l2].sort().join("")]]);
  const laptops = [B, B2];
  const candidates = keepCandidates(laptops, current, dayAgo, policy);
  assert.deepEqual(
    candidates.map((c) => [c.laptop, c.line === l1 ? 1 : 2]),
    [
      [0, 1],
      [0, 2],
      [1, 1],
      [1, 2],
    ],
  );
  // l2 verifies for B, l1 for B2.
  const kept = keptLeases(2, candidates, [false, true, true, false]);
  assert.deepEqual(
    kept.map((c) => c?.line),
    [l2, l1],
  );
  assert.deepEqual(toSign(kept), []);
  // A line is never kept for two laptops.
  assert.deepEqual(
    keptLeases(2, candidates, [true, false, true, false]).map((c) => c?.line),
    [l1, undefined],
  );
});

test("the renewed leases: kept lines byte for byte, new lines for the others, each laptop's signing", () => {
  const old = line("SHC00000001", "20261212T060000Z", "1");
  const candidates = keepCandidates([A, B], new Map([["SHC00000001", old]]), dayAgo, policy);
  const kept = keptLeases(2, candidates, [true]);
  assert.deepEqual(toSign(kept), [1]);
  const fresh = line("SHC00000002", E, "3");
  const signing: Signing = { signedAt: now, expiry: E };
  const renewed = renewedLeases([A, B], kept, [fresh], signing);
  assert.deepEqual(
    [...renewed.leases],
    [
      ["SHC00000001", old],
      ["SHC00000002", fresh],
    ],
  );
  assert.deepEqual(renewed.signings, [{ signedAt: ago(1), expiry: "20261212T060000Z" }, signing]);
});
