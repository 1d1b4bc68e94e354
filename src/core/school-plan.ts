// Decides what to do with one school (SPEC §5), from values only: no disk, no clock, no network.
import { byteOrder, type Serial } from "./domain.js";

export interface Policy {
  /** Regenerate even when up to date, and let a shrink through. */
  readonly force: boolean;
  /** A checksum file at least this old (seconds) makes the school stale. */
  readonly staleSeconds: number;
  /** A school losing more than this share (percent) of its laptops is held; 100 disables. */
  readonly maxShrinkPercent: number;
}

/** What a school looks like in inventario now. */
export interface ReceivedSchool {
  readonly checksum: string;
  /** The serials that would be signed (valid, not stolen). */
  readonly serials: ReadonlySet<Serial>;
  /** Listed serials that are stolen. */
  readonly stolen: readonly Serial[];
  /** Listed serials taken off the stolen list since the last complete run: they need a lease again. */
  readonly reinstated: readonly Serial[];
  /** The whole stolen list: a laptop that left the school for it is revoked, not lost. */
  readonly stolenList: ReadonlySet<string>;
}

/** What the previous run left for the school. */
export interface PreviousOutput {
  readonly schoolFileExists: boolean;
  /** From `<hostname>.checksum`; undefined if missing or unreadable. */
  readonly checksum?: string | undefined;
  readonly checksumWrittenAt?: Date | undefined;
  /** Serials in the current by-school file; undefined when not read (assume the worst). */
  readonly serials?: ReadonlySet<string> | undefined;
  /** Of those, the ones added while the school was held (its signed record says): not counted as its own yet. */
  readonly heldAdded?: ReadonlySet<string> | undefined;
}

export type RegenerateReason =
  | "forced"
  | "output missing"
  | "no state"
  | "list changed"
  | "stolen laptop listed"
  | "laptop no longer stolen"
  | "stale"
  | "state from the future";

/** A checksum file dated later than this is from a clock that was ahead, not from a run. */
export const CLOCK_SKEW_SECONDS = 300;

/**
 * A school whose list would remove more than max_shrink_percent of its laptops at once: the
 * removals are held (its leases stay, its checksum too, so they stay pending until --force or
 * the list comes back), while the laptops it lists that its file lacks are added.
 */
export interface HeldShrink {
  readonly action: "hold";
  readonly reason: "shrink";
  /** Its laptops before: its file's serials, less those added while held. */
  readonly previousCount: number;
  /** How many of them the list drops (not counting stolen ones). */
  readonly removed: number;
  /** Listed serials its file lacks: signed and added, in byte order. */
  readonly added: readonly Serial[];
}

export type SchoolPlan =
  | { readonly action: "regenerate"; readonly reason: RegenerateReason }
  | { readonly action: "skip"; readonly reason: "up to date" }
  | HeldShrink;

export function planSchool(received: ReceivedSchool, previous: PreviousOutput, policy: Policy, now: Date): SchoolPlan {
  const reason = regenerateReason(received, previous, policy, now);
  if (reason === undefined) return { action: "skip", reason: "up to date" };
  const shrink = previous.serials && !policy.force ? shrinkOf(previous.serials, previous.heldAdded, received) : undefined;
  if (previous.serials && shrink && shrink.lost * 100 > policy.maxShrinkPercent * shrink.previousCount) {
    const inFile = previous.serials;
    const added = [...received.serials].filter((serial) => !inFile.has(serial)).sort(byteOrder);
    return { action: "hold", reason: "shrink", previousCount: shrink.previousCount, removed: shrink.lost, added };
  }
  return { action: "regenerate", reason };
}

function regenerateReason(received: ReceivedSchool, previous: PreviousOutput, policy: Policy, now: Date): RegenerateReason | undefined {
  if (policy.force) return "forced";
  if (!previous.schoolFileExists) return "output missing";
  if (previous.checksum === undefined || previous.checksumWrittenAt === undefined) return "no state";
  if (previous.checksum !== received.checksum) return "list changed";
  const stolenStillOut = received.stolen.some((serial) => previous.serials?.has(serial) ?? true);
  if (stolenStillOut) return "stolen laptop listed";
  const reinstatedMissing = received.reinstated.some((serial) => !(previous.serials?.has(serial) ?? false));
  if (reinstatedMissing) return "laptop no longer stolen";
  const ageSeconds = (now.getTime() - previous.checksumWrittenAt.getTime()) / 1000;
  // Otherwise a file dated 2030 would keep the school "up to date" while its leases expire.
  if (ageSeconds < -CLOCK_SKEW_SECONDS) return "state from the future";
  if (ageSeconds >= policy.staleSeconds) return "stale";
  return undefined;
}

/**
 * Laptops gone from the school's list; a stolen one is revoked on purpose, not lost by accident.
 * Laptops added while the school was held are not counted: a full swap, held, must stay held.
 */
function shrinkOf(
  inFile: ReadonlySet<string>,
  heldAdded: ReadonlySet<string> | undefined,
  received: ReceivedSchool,
): { lost: number; previousCount: number } {
  const after: ReadonlySet<string> = received.serials;
  let lost = 0;
  let previousCount = 0;
  for (const serial of inFile) {
    if (heldAdded?.has(serial)) continue;
    previousCount += 1;
    if (!after.has(serial) && !received.stolenList.has(serial)) lost += 1;
  }
  return { lost, previousCount };
}

/**
 * Whether the plan could change once the by-school file's serials are known: only then does
 * the shell read that file, so an up-to-date school costs no file read.
 */
export function needsPreviousSerials(plan: SchoolPlan, previous: PreviousOutput): boolean {
  const couldChange = plan.action === "regenerate" && plan.reason !== "forced";
  return couldChange && previous.schoolFileExists && previous.serials === undefined;
}
