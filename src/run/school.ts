// One school's journey, in three steps the run overlaps across schools:
// look (fetch and plan), sign (in memory), commit (laptop files, school file, checksum last).
// Of the commit, only the writing of the laptop files and the school file waits its turn.
import { schoolChecksum } from "../core/checksum.js";
import { parseExpiry, type Expiry, type Hostname, type Laptop, type Serial } from "../core/domain.js";
import { serialLeaseText } from "../core/lease.js";
import { selectLaptops, serialsOf } from "../core/laptop-selection.js";
import type { SchoolOutcome } from "../core/report.js";
import {
  CLOCK_SKEW_SECONDS,
  needsPreviousSerials,
  planSchool,
  type PreviousOutput,
  type ReceivedSchool,
  type RegenerateReason,
  type SchoolPlan,
} from "../core/school-plan.js";
import { FatalError, InventarioError, SchoolError, SignerError, describe } from "../errors.js";
import type { RunContext } from "./context.js";

/** A school that needs new leases, with everything needed to make them. */
export interface SchoolToSign {
  readonly hostname: Hostname;
  readonly reason: RegenerateReason;
  readonly checksum: string;
  readonly expiry: Expiry;
  readonly received: number;
  readonly laptops: Laptop[];
  readonly startedAt: number;
}

export interface SignedSchool extends SchoolToSign {
  readonly leases: Map<Serial, string>;
}

/** Either the school's final outcome, or the work still to do for it. */
export type Looked = { readonly done: SchoolOutcome } | { readonly toSign: SchoolToSign };

export async function lookAtSchool(ctx: RunContext, hostname: Hostname): Promise<Looked> {
  const startedAt = performance.now();
  const ms = (): number => Math.round(performance.now() - startedAt);
  try {
    const info = await ctx.inventario.leaseInfo(hostname);
    const expiry = parseExpiry(info.expiry, ctx.now);
    if (!expiry.ok) throw new SchoolError(hostname, `inventario sent a bad ${expiry.reason}`);
    const selection = selectLaptops(info.laptops, ctx.stolen);
    for (const laptop of selection.rejected)
      ctx.log.warn({ hostname, serial: laptop.serial }, `${hostname}: laptop skipped: ${laptop.reason}`);
    const checksum = schoolChecksum(info.laptops);
    const serials = serialsOf(selection.laptops);
    const reinstated = [...serials].filter((serial) => ctx.reinstated.has(serial));
    const plan = await planWithPrevious(ctx, hostname, { checksum, serials, stolen: selection.stolen, reinstated, stolenList: ctx.stolen });
    const received = info.laptops.length;
    if (plan.action === "skip") return { done: { status: "up to date", hostname, laptops: received, ms: ms() } };
    if (plan.action === "hold") {
      const error = `${hostname}: held, its laptops would go from ${plan.previousCount} to ${plan.newCount} (more than max_shrink_percent = ${ctx.policy.maxShrinkPercent}% lost); run with --force ${hostname} to apply`;
      return { done: { status: "failed", hostname, error, ms: ms(), held: true } };
    }
    if (plan.reason === "state from the future") {
      const fix = "its leases are signed again now; check the system clock (NTP) on this host";
      ctx.log.warn({ hostname }, `${hostname}: its checksum file is dated more than ${CLOCK_SKEW_SECONDS} s in the future: ${fix}`);
    }
    if (ctx.dryRun)
      return { done: { status: "would regenerate", hostname, reason: plan.reason, laptops: received, expiry: expiry.value, ms: ms() } };
    return { toSign: { hostname, reason: plan.reason, checksum, expiry: expiry.value, received, laptops: selection.laptops, startedAt } };
  } catch (error) {
    return { done: failed(hostname, error, ms()) };
  }
}

/** Plans from what is cheap to know; reads the school file's serials only if they can matter. */
async function planWithPrevious(ctx: RunContext, hostname: Hostname, received: ReceivedSchool): Promise<SchoolPlan> {
  const [stored, schoolFileExists] = await Promise.all([ctx.state.readChecksum(hostname), ctx.outputs.schoolFileExists(hostname)]);
  let previous: PreviousOutput = {
    schoolFileExists,
    checksum: stored?.checksum,
    checksumWrittenAt: stored?.writtenAt,
  };
  let plan = planSchool(received, previous, ctx.policy, ctx.now);
  if (needsPreviousSerials(plan, previous)) {
    const serials = await ctx.outputs.readSchoolSerials(hostname);
    previous = serials === undefined ? { ...previous, schoolFileExists: false } : { ...previous, serials };
    plan = planSchool(received, previous, ctx.policy, ctx.now);
  }
  return plan;
}

export async function signSchool(ctx: RunContext, school: SchoolToSign): Promise<SignedSchool | SchoolOutcome> {
  try {
    const lines = await ctx.signer.signSchool(school.laptops, school.expiry);
    // A serial listed with several UUIDs gets one line per UUID; the laptop uses the one that verifies.
    const bySerial = new Map<Serial, string[]>();
    school.laptops.forEach((laptop, i) => {
      const serialLines = bySerial.get(laptop.serial);
      if (serialLines) serialLines.push(lines[i] as string);
      else bySerial.set(laptop.serial, [lines[i] as string]);
    });
    const leases = new Map<Serial, string>();
    for (const [serial, serialLines] of bySerial) leases.set(serial, serialLeaseText(serialLines));
    return { ...school, leases };
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
export async function commitSchool(ctx: RunContext, school: SignedSchool, inTurn: InTurn): Promise<SchoolOutcome> {
  const ms = (): number => Math.round(performance.now() - school.startedAt);
  try {
    await ctx.beforeChange();
    await ctx.state.markRegenerating(school.hostname);
    const schoolFileSha256 = await inTurn(() => ctx.outputs.commitSchool(school.hostname, school.leases, ctx.stolen));
    const record = { hostname: school.hostname, expiry: school.expiry, regeneratedAt: ctx.now, laptops: school.laptops, schoolFileSha256 };
    await ctx.state.writeSignedRecord(record);
    await ctx.state.writeChecksum(school.hostname, school.checksum);
  } catch (error) {
    if (error instanceof FatalError) throw error; // state_dir cannot be written: the whole run stops
    return failed(school.hostname, new SchoolError(school.hostname, `cannot write its files: ${describe(error)}`, { cause: error }), ms());
  }
  const { hostname, reason, received, expiry } = school;
  return { status: "regenerated", hostname, reason, laptops: received, signed: school.laptops.length, expiry, ms: ms() };
}

function failed(hostname: string, error: unknown, ms: number): SchoolOutcome {
  if (error instanceof FatalError) throw error; // the log or state_dir failed: the whole run stops
  const message = describe(error);
  const expected = error instanceof SchoolError || error instanceof InventarioError || error instanceof SignerError;
  // An unexpected error is a bug: its stack goes to the log.
  const stack = expected || !(error instanceof Error) ? undefined : error.stack;
  return { status: "failed", hostname, error: message.startsWith(hostname) ? message : `${hostname}: ${message}`, ms, stack };
}
