// One school's journey, in three steps the run overlaps across schools: look (fetch, plan, read
// its current file), renew (check which leases it keeps, sign the others, in memory), commit
// (what changed: laptop files, school file; then the signed record, and the checksum last).
// Of the commit, only the writing of the laptop files and the school file waits its turn.
import { schoolChecksum } from "../core/checksum.js";
import { byteOrder, parseExpiry, type Expiry, type Hostname, type Laptop, type Serial } from "../core/domain.js";
import {
  expiryTooClose,
  keepCandidates,
  keptLeases,
  oldestSigning,
  renewedLeases,
  toSign,
  type Signing,
  type SigningOf,
} from "../core/lease-renewal.js";
import { laptopOrder, rejectedCounts, rejectedSummary, selectLaptops, serialsOf, type RejectedLaptop } from "../core/laptop-selection.js";
import { nameInMessage } from "../core/log-line.js";
import type { SchoolOutcome } from "../core/report.js";
import {
  CLOCK_SKEW_SECONDS,
  lastCommitComplete,
  needsPreviousSerials,
  planSchool,
  type HeldShrink,
  type PreviousOutput,
  type ReceivedSchool,
  type RegenerateReason,
  type SchoolPlan,
} from "../core/school-plan.js";
import { recordedSignings, renewalRecord, signingLookup, type SignedRecord } from "../core/signed-record.js";
import { FatalError, InventarioError, SchoolError, SignerError, describe } from "../errors.js";
import type { CurrentSchoolFile } from "../io/output-store.js";
import type { RunContext } from "./context.js";

/** A school to regenerate, with everything needed to renew its leases. */
export interface SchoolToRenew {
  readonly hostname: Hostname;
  /** Regenerated: every laptop is signed; held (the shrink guard): only the laptops it adds. */
  readonly plan: { readonly action: "regenerate"; readonly reason: RegenerateReason } | HeldShrink;
  readonly checksum: string;
  readonly expiry: Expiry;
  readonly received: number;
  readonly laptops: Laptop[];
  readonly startedAt: number;
  /** Its file as it is, whose good leases are kept; undefined with --force, or when none can be read. */
  readonly current: CurrentSchoolFile | undefined;
  /** When its current leases were signed, as the state knows it. */
  readonly signingOf: SigningOf;
  /** Whether its laptop files are known to hold its file's lines (the last commit finished). */
  readonly trusted: boolean;
}

export interface RenewedSchool extends SchoolToRenew {
  /** Serial → lease lines. */
  readonly leases: Map<string, string>;
  /** Each laptop's signing, in the laptops' order. */
  readonly signings: Signing[];
  readonly signed: number;
  readonly kept: number;
}

/** Either the school's final outcome, or the work still to do for it. */
export type Looked = { readonly done: SchoolOutcome } | { readonly toRenew: SchoolToRenew };

export async function lookAtSchool(ctx: RunContext, hostname: Hostname): Promise<Looked> {
  const startedAt = performance.now();
  const ms = (): number => Math.round(performance.now() - startedAt);
  try {
    const info = await ctx.inventario.leaseInfo(hostname);
    const expiry = parseExpiry(info.expiry, ctx.now);
    if (!expiry.ok) throw new SchoolError(hostname, `inventario sent a bad ${expiry.reason}`);
    const tooClose = expiryTooClose(expiry.value, ctx.now);
    if (tooClose !== undefined) throw new SchoolError(hostname, tooClose);
    const selection = selectLaptops(info.laptops, ctx.stolen);
    const checksum = schoolChecksum(info.laptops);
    const serials = serialsOf(selection.laptops);
    const reinstated = [...serials].filter((serial) => ctx.reinstated.has(serial));
    const received = { checksum, serials, stolen: selection.stolen, reinstated, stolenList: ctx.stolen };
    const { plan, previous, record, current } = await planWithPrevious(ctx, hostname, received);
    const listed = info.laptops.length;
    const skipped = selection.rejected.length;
    // Told once when the school is signed (or held), not on every run that finds it up to date.
    if (plan.action === "skip")
      return { done: { status: "up to date", hostname, laptops: listed, ...(skipped > 0 ? { skipped } : {}), ms: ms() } };
    logSkipped(ctx, hostname, selection.rejected);
    if (plan.action === "hold") {
      const added = new Set<string>(plan.added);
      const laptops = selection.laptops.filter((laptop) => added.has(laptop.serial));
      if (laptops.length === 0 || ctx.dryRun) return { done: heldOutcome(ctx, hostname, plan, 0, ms()) };
      // Only the added laptops, each signed anew: the leases it holds stay as they are.
      const current = undefined;
      const toRenew = { hostname, plan, checksum, expiry: expiry.value, received: listed, laptops, startedAt, current };
      return { toRenew: { ...toRenew, signingOf: () => undefined, trusted: false } };
    }
    if (plan.reason === "state from the future") {
      const fix = "its leases are signed again now; check the system clock (NTP) on this host";
      const name = nameInMessage(hostname);
      ctx.log.warn({}, `${name}: its checksum file is dated more than ${CLOCK_SKEW_SECONDS} s in the future: ${fix}`, false, { hostname });
    }
    const keeping = plan.reason !== "forced";
    return {
      toRenew: {
        hostname,
        plan,
        checksum,
        expiry: expiry.value,
        received: listed,
        laptops: selection.laptops,
        startedAt,
        current: keeping && previous.schoolFileExists ? (current ?? (await ctx.outputs.readCurrentSchool(hostname))) : undefined,
        signingOf: signingLookup(record, previous.checksumWrittenAt),
        trusted: lastCommitComplete(previous),
      },
    };
  } catch (error) {
    return { done: failed(hostname, error, ms()) };
  }
}

/** The laptops that get no lease, in one line however many they are. */
function logSkipped(ctx: RunContext, hostname: Hostname, rejected: readonly RejectedLaptop[]): void {
  if (rejected.length === 0) return;
  const message = `${nameInMessage(hostname)}: laptops skipped, they get no lease: ${rejectedSummary(rejected)}`;
  ctx.log.warn({}, message, false, { hostname, skipped: rejected.length, ...rejectedCounts(rejected) });
}

/**
 * A held school's outcome: a failure (exit 3) until --force, whose message says how many laptops
 * would be removed and how many were added (`signed`, once their leases are in its files).
 */
function heldOutcome(ctx: RunContext, hostname: Hostname, plan: HeldShrink, signed: number, ms: number): SchoolOutcome {
  const name = nameInMessage(hostname);
  const count = plan.added.length;
  const added = count === 0 ? "no laptop was added" : signed > 0 ? `the ${count} added were signed` : `the ${count} added would be signed`;
  const removed = `${plan.removed} of its ${plan.previousCount} laptops would be removed`;
  const error = `${name}: held, ${removed} (more than max_shrink_percent = ${ctx.policy.maxShrinkPercent}%) and ${added}; run with --force ${name} to remove them`;
  return { status: "failed", hostname, error, ms, held: true, ...(signed > 0 ? { signed } : {}) };
}

interface Planned {
  readonly plan: SchoolPlan;
  readonly previous: PreviousOutput;
  readonly record: SignedRecord | undefined;
  /** The school file, if the plan needed it read. */
  readonly current: CurrentSchoolFile | undefined;
}

/** Plans from what is cheap to know (two stats and the signed record); reads the school file only if it can matter. */
async function planWithPrevious(ctx: RunContext, hostname: Hostname, received: ReceivedSchool): Promise<Planned> {
  const [stored, schoolFile, record] = await Promise.all([
    ctx.state.readChecksum(hostname),
    ctx.outputs.schoolFileStamp(hostname),
    readRecord(ctx, hostname),
  ]);
  const renewal = record?.renewal && {
    keyId: record.renewal.keyId,
    signings: recordedSignings(record),
    schoolFile: record.renewal.schoolFile,
  };
  let previous: PreviousOutput = {
    schoolFileExists: schoolFile !== undefined,
    schoolFile,
    checksum: stored?.checksum,
    checksumWrittenAt: stored?.writtenAt,
    renewal,
  };
  let plan = planSchool(received, previous, ctx.policy, ctx.now);
  let current: CurrentSchoolFile | undefined;
  if (needsPreviousSerials(plan, previous)) {
    current = await ctx.outputs.readCurrentSchool(hostname);
    const heldAdded = record?.heldAdded && new Set<string>(record.heldAdded);
    previous =
      current === undefined
        ? { ...previous, schoolFileExists: false }
        : { ...previous, serials: new Set(current.leases.keys()), heldAdded };
    plan = planSchool(received, previous, ctx.policy, ctx.now);
  }
  return { plan, previous, record, current };
}

/** The school's signed record; a damaged one counts as none (the regeneration it causes writes a good one). */
async function readRecord(ctx: RunContext, hostname: Hostname): Promise<SignedRecord | undefined> {
  try {
    return await ctx.state.readSignedRecord(hostname);
  } catch (error) {
    ctx.log.warn({ hostname }, `${hostname}: ${describe(error)}; its leases are checked and the record written again`);
    return undefined;
  }
}

/**
 * Keeps each current lease that is good (issue 17, rule 1: its signature checked on the
 * verifier's threads) and signs the others, in memory. A dry run stops at the counts.
 */
export async function renewSchool(ctx: RunContext, school: SchoolToRenew): Promise<RenewedSchool | SchoolOutcome> {
  try {
    const { laptops, expiry } = school;
    const policy = { keyId: ctx.policy.keyId, staleSeconds: ctx.policy.staleSeconds, expiry, now: ctx.now };
    const candidates = school.current ? keepCandidates(laptops, school.current.leases, school.signingOf, policy) : [];
    const checks = candidates.map((candidate) => ({ messages: [candidate.message], signature: candidate.signature }));
    const verified = checks.length === 0 ? [] : (await ctx.verifier.verify(checks)).map((match) => match === 0);
    const kept = keptLeases(laptops.length, candidates, verified);
    const indices = toSign(kept);
    const counts = { signed: indices.length, kept: laptops.length - indices.length };
    // (A held school's dry run stops at its plan.)
    if (ctx.dryRun && school.plan.action === "regenerate") {
      const { hostname, plan, received } = school;
      const ms = Math.round(performance.now() - school.startedAt);
      return { status: "would regenerate", hostname, reason: plan.reason, laptops: received, ...counts, expiry, ms };
    }
    const lines =
      indices.length === 0
        ? []
        : await ctx.signer.signSchool(
            indices.map((i) => laptops[i] as Laptop),
            expiry,
          );
    const { leases, signings } = renewedLeases(laptops, kept, lines, { signedAt: ctx.now, expiry });
    return { ...school, leases, signings, ...counts };
  } catch (error) {
    return failed(school.hostname, error, Math.round(performance.now() - school.startedAt));
  }
}

/** Runs a step when the schools before it have had theirs, one at a time. */
export type InTurn = <T>(step: () => Promise<T>) => Promise<T>;

/**
 * Only the laptop files and the school file wait for the schools before: a laptop file holds the
 * lines the other school files list for its serial, so those must be written first. Dating the
 * checksum back before, and the signed record and checksum after, run beside other schools' turns.
 */
export async function commitSchool(ctx: RunContext, school: RenewedSchool, inTurn: InTurn): Promise<SchoolOutcome> {
  const ms = (): number => Math.round(performance.now() - school.startedAt);
  const { hostname, plan, received, expiry } = school;
  let written: { laptopFiles: number; schoolFileWritten: boolean };
  try {
    await ctx.beforeChange();
    await ctx.state.markRegenerating(hostname);
    if (plan.action === "hold") {
      await addToHeldSchool(ctx, school, inTurn);
      return heldOutcome(ctx, hostname, plan, school.laptops.length, ms());
    }
    const previous = { file: school.current, trusted: school.trusted };
    const committed = await inTurn(() => ctx.outputs.commitSchool(hostname, school.leases, ctx.stolen, previous));
    written = committed;
    const renewal = renewalRecord(ctx.policy.keyId, school.signings, committed.schoolFile);
    const { schoolFileSha256 } = committed;
    await ctx.state.writeSignedRecord({ hostname, expiry, regeneratedAt: ctx.now, laptops: school.laptops, renewal, schoolFileSha256 });
    await ctx.state.writeChecksum(hostname, school.checksum, oldestSigning(school.signings) ?? ctx.now);
  } catch (error) {
    if (error instanceof FatalError) throw error; // state_dir cannot be written: the whole run stops
    return failed(hostname, new SchoolError(hostname, `cannot write its files: ${describe(error)}`, { cause: error }), ms());
  }
  const { signed, kept } = school;
  const { laptopFiles, schoolFileWritten } = written;
  const { reason } = plan;
  return { status: "regenerated", hostname, reason, laptops: received, signed, kept, laptopFiles, schoolFileWritten, expiry, ms: ms() };
}

/**
 * A held school gets its added laptops' leases beside the ones it has, kept byte for byte. Its
 * checksum is not written (only dated back, above): its removals stay pending, and it is looked
 * at again by the next run, which finds the added laptops in its file and in its signed record
 * (`heldAdded`), and neither signs them again nor counts them as its own until the hold ends.
 * The record is written first: a run killed before the school file is written leaves laptops
 * to add again, never added laptops that the guard would count as the school's own.
 */
async function addToHeldSchool(ctx: RunContext, school: RenewedSchool, inTurn: InTurn): Promise<void> {
  const [previous, current] = await Promise.all([readRecord(ctx, school.hostname), ctx.outputs.readCurrentSchool(school.hostname)]);
  if (current === undefined) throw new Error(`by-school/${school.hostname} is not a lease file any more`);
  const inFile: ReadonlySet<string> = new Set(current.leases.keys());
  const stolen: ReadonlySet<string> = ctx.stolen;
  const kept = (serial: Serial): boolean => inFile.has(serial) && !stolen.has(serial);
  const laptops = [...(previous?.laptops ?? []).filter((laptop) => kept(laptop.serial)), ...school.laptops];
  // No record of when each lease was signed: its leases are checked when the hold ends.
  const record = {
    hostname: school.hostname,
    expiry: previous?.expiry ?? school.expiry,
    regeneratedAt: previous?.regeneratedAt ?? ctx.now,
    laptops: laptops.sort(laptopOrder),
    heldAdded: [...new Set([...(previous?.heldAdded ?? []).filter(kept), ...school.laptops.map((laptop) => laptop.serial)])].sort(
      byteOrder,
    ),
  };
  await ctx.state.writeSignedRecord({ ...record, schoolFileSha256: previous?.schoolFileSha256 });
  const { schoolFileSha256 } = await inTurn(() => ctx.outputs.addToSchool(school.hostname, school.leases, ctx.stolen));
  // Noted once the file is written, so the sweep knows the file as this state_dir's own.
  await ctx.state.writeSignedRecord({ ...record, schoolFileSha256 });
}

function failed(hostname: string, error: unknown, ms: number): SchoolOutcome {
  if (error instanceof FatalError) throw error; // the log or state_dir failed: the whole run stops
  const message = describe(error);
  const expected = error instanceof SchoolError || error instanceof InventarioError || error instanceof SignerError;
  // An unexpected error is a bug: its stack goes to the log.
  const stack = expected || !(error instanceof Error) ? undefined : error.stack;
  const name = nameInMessage(hostname);
  return { status: "failed", hostname, error: message.startsWith(`${name}: `) ? message : `${name}: ${message}`, ms, stack };
}
