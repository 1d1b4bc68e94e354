// One run, as a story: the stolen list, the schools (looked at, signed and committed, several
// on their way at once), the schools inventario dropped, the sweep.
import { parseHostname, type Hostname } from "../core/domain.js";
import { nameInMessage } from "../core/log-line.js";
import { progressAfter, startProgress } from "../core/progress.js";
import { outcomeMessage, type RunReport, type SchoolOutcome } from "../core/report.js";
import type { Policy } from "../core/school-plan.js";
import { planVanishedSchools, stillWrittenHere } from "../core/vanished-schools.js";
import { ExitCode, FatalError, describe } from "../errors.js";
import type { Inventario } from "../io/inventario-client.js";
import type { Log } from "../io/log.js";
import type { RunContext, RunDeps } from "./context.js";
import { eachLimited } from "../io/each-limited.js";
import { commitSchool, lookAtSchool, renewSchool, type InTurn } from "./school.js";
import { updateStolenList } from "./stolen.js";

/** Enough schools in flight to keep every signing worker fed while one school is written. */
const SCHOOLS_IN_FLIGHT = 3;

export interface RunOptions {
  readonly policy: Policy;
  readonly dryRun: boolean;
  /** Limits the run to these hostnames; the school list is then not fetched. */
  readonly hostnames?: readonly string[] | undefined;
}

export async function run(deps: RunDeps, options: RunOptions): Promise<RunReport> {
  const started = performance.now();
  const sweepPending = await deps.state.sweepPending();
  // Schools commit side by side: the first change waits for the mark, made once.
  let changing: Promise<void> | undefined;
  const beforeChange = (): Promise<void> => (changing ??= deps.state.markSweepPending());
  const stolen = await updateStolenList(deps, options.policy, options.dryRun, beforeChange);
  const ctx: RunContext = {
    ...deps,
    policy: options.policy,
    dryRun: options.dryRun,
    stolen: stolen.serials,
    reinstated: stolen.reinstated,
    beforeChange,
  };

  const listed = options.hostnames ?? (await fetchSchoolList(deps.inventario));
  const { hostnames, invalid } = validateHostnames(listed);
  for (const outcome of invalid) logOutcome(deps.log, outcome);
  const schools = [...invalid, ...(await processSchools(ctx, hostnames))];
  // An interrupted run stops here: what it did not look at is neither removed nor swept (the sweep stays pending).
  const stopped = (): boolean => deps.stop?.aborted === true;
  const removedSchools =
    options.hostnames || stopped()
      ? []
      : await cleanUp(ctx, schools, "remove the files of schools no longer listed", [], () => removeVanishedSchools(ctx, listed, schools));

  if (!options.dryRun && !stopped() && (changing !== undefined || sweepPending)) {
    await cleanUp(ctx, schools, "sweep leases_dir", undefined, async () => {
      const { removed, revoked, rewritten } = await deps.outputs.prune(stolen.serials, options.hostnames ? undefined : new Set(listed));
      // Their files are still what this state_dir wrote: a school of ours that vanishes later is removed.
      for (const [hostname, file] of rewritten) await deps.state.noteSchoolFile(hostname, file);
      const strays = await deps.state.finishSweep();
      deps.log.info(
        { removed: removed + strays, revoked },
        "swept stolen laptops out of school files, lease files of laptops no school lists, and stray temporary files",
      );
    });
  }
  // Every listed school has now had its chance to sign its reinstated laptops again.
  const complete = !options.hostnames && !stopped() && stolen.error === undefined && schools.every((school) => school.status !== "failed");
  if (!options.dryRun && complete && stolen.reinstated.size > 0) await deps.state.writeReinstated(new Set());
  return {
    dryRun: options.dryRun,
    schools,
    stolenError: stolen.error,
    removedSchools,
    stolenChanged: stolen.changed === true,
    interrupted: stopped(),
    seconds: (performance.now() - started) / 1000,
  };
}

async function fetchSchoolList(inventario: Inventario): Promise<string[]> {
  try {
    return await inventario.schoolList();
  } catch (error) {
    throw new FatalError(describe(error), ExitCode.NothingDone, { cause: error });
  }
}

function validateHostnames(listed: readonly string[]): { hostnames: Hostname[]; invalid: SchoolOutcome[] } {
  const hostnames = new Set<Hostname>();
  const invalid: SchoolOutcome[] = [];
  for (const text of listed) {
    const hostname = parseHostname(text);
    if (hostname.ok) hostnames.add(hostname.value);
    else invalid.push({ status: "failed", hostname: text, error: `school refused: ${hostname.reason}`, ms: 0 });
  }
  return { hostnames: [...hostnames], invalid };
}

/**
 * Several schools are on their way at once, each looked at, signed and committed in turn: while
 * one is committed, the next ones are fetched and their batches wait in the signer's queue, so
 * the signer never waits for the disk or the network. Schools write their lease files one at a
 * time, in the order they finish signing. At most SCHOOLS_IN_FLIGHT schools are in memory.
 */
async function processSchools(ctx: RunContext, hostnames: readonly Hostname[]): Promise<SchoolOutcome[]> {
  const outcomes: SchoolOutcome[] = [];
  let progress = startProgress(hostnames.length);
  ctx.onProgress?.(progress);
  let turns: Promise<unknown> = Promise.resolve();
  const inTurn: InTurn = (step) => {
    const result = turns.then(step);
    turns = result.catch(() => undefined); // a school that fails its turn does not stop the next
    return result;
  };
  const processSchool = async (hostname: Hostname): Promise<SchoolOutcome> => {
    const looked = await lookAtSchool(ctx, hostname);
    if ("done" in looked) return looked.done;
    const renewed = await renewSchool(ctx, looked.toRenew);
    if ("status" in renewed) return renewed;
    return commitSchool(ctx, renewed, inTurn);
  };
  await eachLimited(hostnames, SCHOOLS_IN_FLIGHT, async (hostname) => {
    if (ctx.stop?.aborted) return; // interrupted: no school starts
    const outcome = await processSchool(hostname);
    // A school cut short by the interruption did not fail: its recorded outcome stays as it was.
    if (ctx.stop?.aborted && outcome.status === "failed") return;
    outcomes.push(outcome);
    logOutcome(ctx.log, outcome);
    progress = progressAfter(progress, outcome);
    ctx.onProgress?.(progress);
  });
  return outcomes;
}

/**
 * A step after the schools (vanished schools, the sweep) that fails, e.g. on a broken leases_dir,
 * fails the run (exit 3) rather than aborting it: the schools' outcomes are still reported, and
 * the sweep stays pending for the next run. Such a step never deletes what it could not list.
 */
async function cleanUp<T>(ctx: RunContext, outcomes: SchoolOutcome[], what: string, fallback: T, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof FatalError) throw error; // the log or state_dir failed: the whole run stops
    const outcome: SchoolOutcome = {
      status: "failed",
      hostname: "(leases_dir)",
      error: `cannot ${what}: ${describe(error)}`,
      ms: 0,
      step: true,
    };
    outcomes.push(outcome);
    logOutcome(ctx.log, outcome);
    return fallback;
  }
}

/** One line per school: its name and what happened in the message, the rest as fields. */
function logOutcome(log: Log, outcome: SchoolOutcome): void {
  if (outcome.status === "failed") {
    const { status, hostname, error, step, held, signed, ...fields } = outcome;
    // The error names its school first (a step of the run, "(leases_dir)", only has the field), and
    // a held school's says so, with the leases it signed.
    const said = { ...(step ? {} : { hostname }), action: status, ...(held ? { held, signed } : {}) };
    log.error({ ...(step ? { hostname } : {}), ...fields }, error, said);
    return;
  }
  // The message says the school and what happened (and why, and the counts): the fields add the rest.
  if (outcome.status === "up to date") {
    const { status, hostname, ...fields } = outcome;
    log.info(fields, outcomeMessage(outcome), { hostname, action: status });
    return;
  }
  const { status, hostname, reason, laptops, signed, kept, ...fields } = outcome;
  log.info(fields, outcomeMessage(outcome), { hostname, action: status, reason, laptops, signed, kept });
}

/**
 * Removes the files of schools inventario no longer lists, unless too many would go at once;
 * resolves to the schools removed. Files that are no longer what this state_dir wrote (the
 * school moved to another configuration on the same leases_dir, which signed it) are left, and
 * this state_dir drops the school.
 */
async function removeVanishedSchools(ctx: RunContext, listed: readonly string[], outcomes: SchoolOutcome[]): Promise<Hostname[]> {
  const plan = planVanishedSchools(await ctx.outputs.ownedSchoolHostnames(), listed, ctx.policy);
  if (plan.action === "hold") {
    const error = `${plan.vanished.length} of ${plan.existing} schools are no longer listed by inventario (more than max_shrink_percent = ${ctx.policy.maxShrinkPercent}%): their files are kept; run with --force to remove them`;
    outcomes.push({ status: "failed", hostname: "(school list)", error, ms: 0, held: true, step: true });
    ctx.log.error({ vanished: plan.vanished }, error);
    return [];
  }
  const removed: Hostname[] = [];
  for (const hostname of plan.vanished) {
    const ours = await stillOurs(ctx, hostname);
    if (ours) removed.push(hostname);
    if (!ctx.dryRun) await (ours ? removeSchool(ctx, hostname) : leaveSchool(ctx, hostname));
  }
  return removed;
}

async function removeSchool(ctx: RunContext, hostname: Hostname): Promise<void> {
  await ctx.beforeChange();
  await ctx.outputs.removeSchool(hostname, ctx.stolen);
  await ctx.state.removeChecksum(hostname);
  await ctx.state.removeSignedRecord(hostname);
  ctx.log.info({}, `${nameInMessage(hostname)}: no longer listed by inventario, its leases were removed`, { hostname, action: "removed" });
}

/** Leaves a vanished school's files to whoever wrote them since, and drops this state_dir's own state for it. */
async function leaveSchool(ctx: RunContext, hostname: Hostname): Promise<void> {
  ctx.outputs.disown(hostname);
  await ctx.state.removeChecksum(hostname);
  await ctx.state.removeSignedRecord(hostname);
  const why = "its files changed since this state_dir wrote them (another configuration on this leases_dir signs it now?)";
  ctx.log.warn(
    {},
    `${nameInMessage(hostname)}: no longer listed by inventario, but ${why}: left in place, and this state_dir no longer owns it`,
    undefined,
    { hostname, action: "left" },
  );
}

/** Whether a vanished school's files are still what this state_dir last wrote. */
async function stillOurs(ctx: RunContext, hostname: Hostname): Promise<boolean> {
  const [file, record, checksum] = await Promise.all([
    ctx.outputs.schoolFileState(hostname),
    ctx.state.readSignedRecord(hostname).catch(() => undefined),
    ctx.state.readChecksum(hostname),
  ]);
  return stillWrittenHere({ file, writtenSha256: record?.schoolFileSha256, checksumWrittenAt: checksum?.writtenAt });
}
