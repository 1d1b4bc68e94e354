// One school's journey, in three steps the run overlaps across schools: look (fetch, plan, read
// its current file), renew (check which leases it keeps, sign the others, in memory), commit
// (what changed: laptop files, school file; then the signed record, and the checksum last).
// Of the commit, only the writing of the laptop files and the school file waits its turn.
import { schoolChecksum } from "../core/checksum.js";
import { parseExpiry, type Expiry, type Hostname, type Laptop } from "../core/domain.js";
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
import { selectLaptops, serialsOf } from "../core/laptop-selection.js";
import type { SchoolOutcome } from "../core/report.js";
import {
  CLOCK_SKEW_SECONDS,
  lastCommitComplete,
  needsPreviousSerials,
  planSchool,
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
  readonly reason: RegenerateReason;
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
    for (const laptop of selection.rejected)
      ctx.log.warn({ hostname, serial: laptop.serial }, `${hostname}: laptop skipped: ${laptop.reason}`);
    const checksum = schoolChecksum(info.laptops);
    const serials = serialsOf(selection.laptops);
    const reinstated = [...serials].filter((serial) => ctx.reinstated.has(serial));
    const received = { checksum, serials, stolen: selection.stolen, reinstated, stolenList: ctx.stolen };
    const { plan, previous, record, current } = await planWithPrevious(ctx, hostname, received);
    const listed = info.laptops.length;
    if (plan.action === "skip") return { done: { status: "up to date", hostname, laptops: listed, ms: ms() } };
    if (plan.action === "hold") {
      const error = `${hostname}: held, its laptops would go from ${plan.previousCount} to ${plan.newCount} (more than max_shrink_percent = ${ctx.policy.maxShrinkPercent}% lost); run with --force ${hostname} to apply`;
      return { done: { status: "failed", hostname, error, ms: ms(), held: true } };
    }
    if (plan.reason === "state from the future") {
      const fix = "its leases are signed again now; check the system clock (NTP) on this host";
      ctx.log.warn({ hostname }, `${hostname}: its checksum file is dated more than ${CLOCK_SKEW_SECONDS} s in the future: ${fix}`);
    }
    const keeping = plan.reason !== "forced";
    return {
      toRenew: {
        hostname,
        reason: plan.reason,
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
    previous = current === undefined ? { ...previous, schoolFileExists: false } : { ...previous, serials: new Set(current.leases.keys()) };
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
    if (ctx.dryRun) {
      const { hostname, reason, received } = school;
      const ms = Math.round(performance.now() - school.startedAt);
      return { status: "would regenerate", hostname, reason, laptops: received, ...counts, expiry, ms };
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
  const { hostname, reason, received, expiry } = school;
  let written: { laptopFiles: number; schoolFileWritten: boolean };
  try {
    await ctx.beforeChange();
    await ctx.state.markRegenerating(hostname);
    const previous = { file: school.current, trusted: school.trusted };
    const committed = await inTurn(() => ctx.outputs.commitSchool(hostname, school.leases, ctx.stolen, previous));
    written = committed;
    const renewal = renewalRecord(ctx.policy.keyId, school.signings, committed.schoolFile);
    await ctx.state.writeSignedRecord({ hostname, expiry, regeneratedAt: ctx.now, laptops: school.laptops, renewal });
    await ctx.state.writeChecksum(hostname, school.checksum, oldestSigning(school.signings) ?? ctx.now);
  } catch (error) {
    if (error instanceof FatalError) throw error; // state_dir cannot be written: the whole run stops
    return failed(hostname, new SchoolError(hostname, `cannot write its files: ${describe(error)}`, { cause: error }), ms());
  }
  const { signed, kept } = school;
  const { laptopFiles, schoolFileWritten } = written;
  return { status: "regenerated", hostname, reason, laptops: received, signed, kept, laptopFiles, schoolFileWritten, expiry, ms: ms() };
}

function failed(hostname: string, error: unknown, ms: number): SchoolOutcome {
  if (error instanceof FatalError) throw error; // the log or state_dir failed: the whole run stops
  const message = describe(error);
  const expected = error instanceof SchoolError || error instanceof InventarioError || error instanceof SignerError;
  // An unexpected error is a bug: its stack goes to the log.
  const stack = expected || !(error instanceof Error) ? undefined : error.stack;
  return { status: "failed", hostname, error: message.startsWith(hostname) ? message : `${hostname}: ${message}`, ms, stack };
}
