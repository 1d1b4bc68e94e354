// Decides what to do with one school (SPEC §5), from values only: no disk, no clock, no network.
import { byteOrder, type Serial } from "./domain.js";
import { CLOCK_SKEW_SECONDS, isLeaseDue, type Signing } from "./lease-renewal.js";
import { sameStamp, type FileStamp } from "./signed-record.js";

export { CLOCK_SKEW_SECONDS } from "./lease-renewal.js";

export interface Policy {
  /** Regenerate even when up to date, and let a shrink through. */
  readonly force: boolean;
  /** A checksum file at least this old (seconds) makes the school stale. */
  readonly staleSeconds: number;
  /** A school losing more than this share (percent) of its laptops is held; 100 disables. */
  readonly maxShrinkPercent: number;
  /** The configured key's id: a lease signed with another key is due. */
  readonly keyId: string;
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
  /** The by-school file's size and time, from a stat; undefined when not known. */
  readonly schoolFile?: FileStamp | undefined;
  /** From `<hostname>.checksum`; undefined if missing or unreadable. */
  readonly checksum?: string | undefined;
  readonly checksumWrittenAt?: Date | undefined;
  /** Serials in the current by-school file; undefined when not read (assume the worst). */
  readonly serials?: ReadonlySet<string> | undefined;
  /** Of those, the ones added while the school was held (its signed record says): not counted as its own yet. */
  readonly heldAdded?: ReadonlySet<string> | undefined;
  /** From the signed record: when and with what key its leases were signed, and the school file it wrote; undefined without one. */
  readonly renewal?: PreviousRenewal | undefined;
}

export interface PreviousRenewal {
  readonly keyId: string;
  /** The signings of the school's leases. */
  readonly signings: readonly Signing[];
  readonly schoolFile: FileStamp;
}

export type RegenerateReason =
  | "forced"
  | "output missing"
  | "no state"
  | "list changed"
  | "stolen laptop listed"
  | "laptop no longer stolen"
  | "stale"
  | "state from the future"
  | "interrupted"
  | "no record"
  | "output damaged"
  | "key changed"
  | "lease due";

/** The time a school's checksum file is dated back to while its files change (a commit that has not finished). */
export const INTERRUPTED_AT = new Date(0);

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
  if (previous.checksumWrittenAt.getTime() === INTERRUPTED_AT.getTime()) return "interrupted";
  const ageSeconds = (now.getTime() - previous.checksumWrittenAt.getTime()) / 1000;
  // Otherwise a file dated 2030 would keep the school "up to date" while its leases expire.
  if (ageSeconds < -CLOCK_SKEW_SECONDS) return "state from the future";
  if (ageSeconds >= policy.staleSeconds) return "stale";
  return renewalReason(previous, policy, now);
}

/** The leases' own reasons (issue 17), from the signed record: none of the school's files is read. */
function renewalReason(previous: PreviousOutput, policy: Policy, now: Date): RegenerateReason | undefined {
  const renewal = previous.renewal;
  // The Ruby program's state, or a record older than these rules: its leases are checked once.
  if (renewal === undefined) return "no record";
  if (!sameStamp(renewal.schoolFile, previous.schoolFile)) return "output damaged";
  if (renewal.keyId !== policy.keyId) return "key changed";
  if (renewal.signings.some((signing) => isLeaseDue(signing, policy.staleSeconds, now))) return "lease due";
  return undefined;
}

/**
 * Whether the laptop files are known to hold the school file's lines: the last commit finished
 * (its checksum file is not dated back) and its school file is as it left it. Otherwise a
 * regeneration reads the laptop files whose lines it keeps, and rewrites those that differ.
 */
export function lastCommitComplete(previous: PreviousOutput): boolean {
  const finished = previous.checksumWrittenAt !== undefined && previous.checksumWrittenAt.getTime() !== INTERRUPTED_AT.getTime();
  return finished && sameStamp(previous.renewal?.schoolFile, previous.schoolFile);
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
