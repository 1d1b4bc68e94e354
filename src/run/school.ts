// One school's journey, in three steps the run overlaps across schools:
// look (fetch and plan), sign (in memory), commit (laptop files, school file, checksum last).
// Of the commit, only the writing of the laptop files and the school file waits its turn.
import { schoolChecksum } from "../core/checksum.js";
import { byteOrder, parseExpiry, type Expiry, type Hostname, type Laptop, type Serial } from "../core/domain.js";
import { serialLeaseText } from "../core/lease.js";
import { laptopOrder, rejectedCounts, rejectedSummary, selectLaptops, serialsOf, type RejectedLaptop } from "../core/laptop-selection.js";
import { nameInMessage } from "../core/log-line.js";
import type { SchoolOutcome } from "../core/report.js";
import {
  CLOCK_SKEW_SECONDS,
  needsPreviousSerials,
  planSchool,
  type HeldShrink,
  type PreviousOutput,
  type ReceivedSchool,
  type RegenerateReason,
  type SchoolPlan,
} from "../core/school-plan.js";
import type { SignedRecord } from "../core/signed-record.js";
import { FatalError, InventarioError, SchoolError, SignerError, describe } from "../errors.js";
import type { RunContext } from "./context.js";

/** A school that needs new leases, with everything needed to make them. */
export interface SchoolToSign {
  readonly hostname: Hostname;
  /** Regenerated: every laptop is signed; held (the shrink guard): only the laptops it adds. */
  readonly plan: { readonly action: "regenerate"; readonly reason: RegenerateReason } | HeldShrink;
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
    const checksum = schoolChecksum(info.laptops);
    const serials = serialsOf(selection.laptops);
    const reinstated = [...serials].filter((serial) => ctx.reinstated.has(serial));
    const plan = await planWithPrevious(ctx, hostname, { checksum, serials, stolen: selection.stolen, reinstated, stolenList: ctx.stolen });
    const received = info.laptops.length;
    const skipped = selection.rejected.length;
    // Told once when the school is signed (or held), not on every run that finds it up to date.
    if (plan.action === "skip")
      return { done: { status: "up to date", hostname, laptops: received, ...(skipped > 0 ? { skipped } : {}), ms: ms() } };
    logSkipped(ctx, hostname, selection.rejected);
    if (plan.action === "hold") {
      const added = new Set<string>(plan.added);
      const laptops = selection.laptops.filter((laptop) => added.has(laptop.serial));
      if (laptops.length === 0 || ctx.dryRun) return { done: heldOutcome(ctx, hostname, plan, 0, ms()) };
      return { toSign: { hostname, plan, checksum, expiry: expiry.value, received, laptops, startedAt } };
    }
    if (plan.reason === "state from the future") {
      const fix = "its leases are signed again now; check the system clock (NTP) on this host";
      const name = nameInMessage(hostname);
      ctx.log.warn({}, `${name}: its checksum file is dated more than ${CLOCK_SKEW_SECONDS} s in the future: ${fix}`, false, { hostname });
    }
    if (ctx.dryRun)
      return { done: { status: "would regenerate", hostname, reason: plan.reason, laptops: received, expiry: expiry.value, ms: ms() } };
    return { toSign: { hostname, plan, checksum, expiry: expiry.value, received, laptops: selection.laptops, startedAt } };
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
    const [serials, record] = await Promise.all([ctx.outputs.readSchoolSerials(hostname), signedRecordOf(ctx, hostname)]);
    const heldAdded = record?.heldAdded && new Set<string>(record.heldAdded);
    previous = serials === undefined ? { ...previous, schoolFileExists: false } : { ...previous, serials, heldAdded };
    plan = planSchool(received, previous, ctx.policy, ctx.now);
  }
  return plan;
}

/** The school's signed record; undefined when there is none or it is damaged (verify tells). */
async function signedRecordOf(ctx: RunContext, hostname: Hostname): Promise<SignedRecord | undefined> {
  return ctx.state.readSignedRecord(hostname).catch(() => undefined);
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
  const { plan } = school;
  try {
    await ctx.beforeChange();
    await ctx.state.markRegenerating(school.hostname);
    if (plan.action === "hold") {
      await addToHeldSchool(ctx, school, inTurn);
      return heldOutcome(ctx, school.hostname, plan, school.laptops.length, ms());
    }
    const schoolFileSha256 = await inTurn(() => ctx.outputs.commitSchool(school.hostname, school.leases, ctx.stolen));
    const record = { hostname: school.hostname, expiry: school.expiry, regeneratedAt: ctx.now, laptops: school.laptops, schoolFileSha256 };
    await ctx.state.writeSignedRecord(record);
    await ctx.state.writeChecksum(school.hostname, school.checksum);
  } catch (error) {
    if (error instanceof FatalError) throw error; // state_dir cannot be written: the whole run stops
    return failed(school.hostname, new SchoolError(school.hostname, `cannot write its files: ${describe(error)}`, { cause: error }), ms());
  }
  const { hostname, received, expiry } = school;
  return { status: "regenerated", hostname, reason: plan.reason, laptops: received, signed: school.laptops.length, expiry, ms: ms() };
}

/**
 * A held school gets its added laptops' leases beside the ones it has, kept byte for byte. Its
 * checksum is not written (only dated back, above): its removals stay pending, and it is looked
 * at again by the next run, which finds the added laptops in its file and in its signed record
 * (`heldAdded`), and neither signs them again nor counts them as its own until the hold ends.
 * The record is written first: a run killed before the school file is written leaves laptops
 * to add again, never added laptops that the guard would count as the school's own.
 */
async function addToHeldSchool(ctx: RunContext, school: SignedSchool, inTurn: InTurn): Promise<void> {
  const [previous, inFile] = await Promise.all([signedRecordOf(ctx, school.hostname), ctx.outputs.readSchoolSerials(school.hostname)]);
  if (inFile === undefined) throw new Error(`by-school/${school.hostname} is not a lease file any more`);
  const stolen: ReadonlySet<string> = ctx.stolen;
  const kept = (serial: Serial): boolean => inFile.has(serial) && !stolen.has(serial);
  const laptops = [...(previous?.laptops ?? []).filter((laptop) => kept(laptop.serial)), ...school.laptops];
  const record = {
    hostname: school.hostname,
    expiry: previous?.expiry ?? school.expiry,
    regeneratedAt: previous?.regeneratedAt ?? ctx.now,
    laptops: laptops.sort(laptopOrder),
    heldAdded: [...(previous?.heldAdded ?? []).filter(kept), ...school.leases.keys()].sort(byteOrder),
  };
  await ctx.state.writeSignedRecord({ ...record, schoolFileSha256: previous?.schoolFileSha256 });
  const schoolFileSha256 = await inTurn(() => ctx.outputs.addToSchool(school.hostname, school.leases, ctx.stolen));
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
