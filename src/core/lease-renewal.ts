// Renewing by the lease, not by the school (SPEC §5, issue 17): when one lease is due, which of a
// school's current leases a regeneration keeps, and the expiry too close to be of use. From
// values only: `now` is a parameter, and the signatures are checked by the caller.
import { expiryTime, type Expiry, type Laptop } from "./domain.js";
import { parseLeaseLine, serialLeaseText, signedMessage, splitLeaseLines } from "./lease.js";

/** When a lease was signed and until when it runs: all that decides whether it is due. */
export interface Signing {
  readonly signedAt: Date;
  readonly expiry: Expiry;
}

/** A time this far ahead of the clock is a clock that was ahead, not a run. */
export const CLOCK_SKEW_SECONDS = 300;

/** A laptop asks for a renewal about once a day: a shorter lease may expire before it asks. */
export const MIN_LEASE_SECONDS = 24 * 3600;

/** When a lease is due: `staleSeconds` after its signing, or halfway through its life, whichever comes first. */
export function leaseDueAt(signing: Signing, staleSeconds: number): Date {
  const signed = signing.signedAt.getTime();
  const expires = expiryTime(signing.expiry)?.getTime() ?? signed;
  return new Date(Math.floor(Math.min(signed + staleSeconds * 1000, signed + (expires - signed) / 2)));
}

/** Due: signed `staleSeconds` or more ago, past half its life, expired, or "signed" in the future. */
export function isLeaseDue(signing: Signing, staleSeconds: number, now: Date): boolean {
  if (signing.signedAt.getTime() - now.getTime() > CLOCK_SKEW_SECONDS * 1000) return true;
  return now.getTime() >= leaseDueAt(signing, staleSeconds).getTime();
}

/** When the first of these leases is due; undefined for none. */
export function nextDueAt(signings: readonly Signing[], staleSeconds: number): Date | undefined {
  let next: number | undefined;
  for (const signing of signings) {
    const due = leaseDueAt(signing, staleSeconds).getTime();
    if (next === undefined || due < next) next = due;
  }
  return next === undefined ? undefined : new Date(next);
}

/** Why an expiry inventario suggests is refused (it fails the school), or undefined. */
export function expiryTooClose(expiry: Expiry, now: Date): string | undefined {
  const ahead = ((expiryTime(expiry)?.getTime() ?? 0) - now.getTime()) / 1000;
  if (ahead >= MIN_LEASE_SECONDS) return undefined;
  const minutes = Math.max(0, Math.floor(ahead / 60));
  return (
    `inventario suggested an expiry ${minutes} ${minutes === 1 ? "minute" : "minutes"} ahead (${expiry}); ` +
    `a lease must run at least ${MIN_LEASE_SECONDS / 3600} hours, or laptops lock before they ask for a renewal: ` +
    "nothing was signed and the school's files are kept; fix the lease duration in inventario"
  );
}

/** What keeping a lease depends on: the configured key, T, the expiry inventario suggests now (E), the time. */
export interface KeepPolicy {
  readonly keyId: string;
  readonly staleSeconds: number;
  readonly expiry: Expiry;
  readonly now: Date;
}

/**
 * When the lease line of `laptop` expiring at `expiry` was signed, as the state knows it; undefined
 * when it does not know (then the line is not kept).
 */
export type SigningOf = (laptop: Laptop, expiry: Expiry) => Signing | undefined;

/** A line of the school's current file that a laptop keeps if its signature verifies. */
export interface KeepCandidate {
  /** Index of the laptop in the school's list. */
  readonly laptop: number;
  readonly line: string;
  /** The line's place in the school file: its serial and its rank among the serial's lines. */
  readonly lineId: string;
  readonly signing: Signing;
  /** What the signature must sign: the laptop's serial and UUID as listed now, and the line's expiry. */
  readonly message: string;
  readonly signature: string;
}

/**
 * The current lines that may be kept (rule 1 of issue 17, but for the signature): for each laptop,
 * a line of its serial in the school's file, in the exact format, with the configured key id,
 * not due, and expiring no later than E. A serial with two UUIDs offers both its lines to each.
 */
export function keepCandidates(
  laptops: readonly Laptop[],
  current: ReadonlyMap<string, string>,
  signingOf: SigningOf,
  policy: KeepPolicy,
): KeepCandidate[] {
  const latest = expiryTime(policy.expiry)?.getTime() ?? 0;
  // A school's leases share a few expiries and signings: each is judged once.
  const inTime = memo((expiry: string) => (expiryTime(expiry)?.getTime() ?? Infinity) <= latest);
  const due = memo((signing: Signing) => isLeaseDue(signing, policy.staleSeconds, policy.now));
  const candidates: KeepCandidate[] = [];
  laptops.forEach((laptop, i) => {
    const text = current.get(laptop.serial);
    if (text === undefined) return;
    splitLeaseLines(text).forEach((line, n) => {
      const fields = parseLeaseLine(line);
      if (fields === undefined || fields.serial !== laptop.serial || fields.keyId !== policy.keyId || !inTime(fields.expiry)) return;
      const expiry = fields.expiry as Expiry;
      const signing = signingOf(laptop, expiry);
      if (signing === undefined || signing.expiry !== expiry || due(signing)) return;
      const message = signedMessage(laptop, expiry);
      candidates.push({ laptop: i, line, lineId: `${laptop.serial} ${n}`, signing, message, signature: fields.signature });
    });
  });
  return candidates;
}

function memo<K, V>(compute: (key: K) => V): (key: K) => V {
  const known = new Map<K, V>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined && !known.has(key)) known.set(key, (value = compute(key)));
    return value as V;
  };
}

/** Each laptop's lease kept, or undefined where a new one must be signed. */
export type Kept = readonly (KeepCandidate | undefined)[];

/** The first candidate of each laptop whose signature verified (`verified[i]` for `candidates[i]`); a line is kept once. */
export function keptLeases(laptopCount: number, candidates: readonly KeepCandidate[], verified: readonly boolean[]): Kept {
  const kept: (KeepCandidate | undefined)[] = new Array<KeepCandidate | undefined>(laptopCount).fill(undefined);
  const used = new Set<string>();
  candidates.forEach((candidate, i) => {
    if (!verified[i] || kept[candidate.laptop] !== undefined || used.has(candidate.lineId)) return;
    kept[candidate.laptop] = candidate;
    used.add(candidate.lineId);
  });
  return kept;
}

/** The indices of the laptops that get a new lease. */
export function toSign(kept: Kept): number[] {
  const indices: number[] = [];
  kept.forEach((candidate, i) => {
    if (candidate === undefined) indices.push(i);
  });
  return indices;
}

/** A school's leases once renewed: serial → its lines, and each laptop's signing, in the laptops' order. */
export interface RenewedLeases {
  readonly leases: Map<string, string>;
  readonly signings: Signing[];
}

/** The kept lines, and `signed[j]` (signed at `signing`) for the j-th laptop without one. */
export function renewedLeases(laptops: readonly Laptop[], kept: Kept, signed: readonly string[], signing: Signing): RenewedLeases {
  const lines = new Map<string, string[]>();
  const signings: Signing[] = [];
  let next = 0;
  laptops.forEach((laptop, i) => {
    const keep = kept[i];
    const line = keep === undefined ? (signed[next++] as string) : keep.line;
    signings.push(keep === undefined ? signing : keep.signing);
    const serialLines = lines.get(laptop.serial);
    if (serialLines) serialLines.push(line);
    else lines.set(laptop.serial, [line]);
  });
  const leases = new Map<string, string>();
  for (const [serial, serialLines] of lines) leases.set(serial, serialLeaseText(serialLines));
  return { leases, signings };
}

/** The oldest signing time of these leases: a school's checksum file is dated no later (the Ruby program's staleness). */
export function oldestSigning(signings: readonly Signing[]): Date | undefined {
  let oldest: Date | undefined;
  for (const { signedAt } of signings) if (oldest === undefined || signedAt < oldest) oldest = signedAt;
  return oldest;
}
