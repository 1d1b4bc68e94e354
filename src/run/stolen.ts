// The stolen list: fetched, checked against the previous one, written for the delivery tools
// when it changed, and turned into the set of serials that get no lease. It fails closed: if
// inventario cannot give it, the previous list holds; without a previous list nothing is signed.
import type { Serial } from "../core/domain.js";
import type { Policy } from "../core/school-plan.js";
import { rejectedCounts, rejectedSummary } from "../core/laptop-selection.js";
import { planStolenList, validateStolenList, type StolenLaptop } from "../core/stolen-list.js";
import { ExitCode, FatalError, describe } from "../errors.js";
import type { RunDeps } from "./context.js";

export interface StolenOutcome {
  readonly serials: ReadonlySet<Serial>;
  /** Taken off the stolen list since the last complete run (SPEC: a laptop found again is renewed). */
  readonly reinstated: ReadonlySet<Serial>;
  readonly error?: string | undefined;
  /** Whether stolen.csv / stolen.list were rewritten. */
  readonly changed?: boolean;
}

export async function updateStolenList(
  deps: RunDeps,
  policy: Policy,
  dryRun: boolean,
  beforeChange: () => Promise<void>,
): Promise<StolenOutcome> {
  const previous = await deps.outputs.readPreviousStolen();
  let received;
  try {
    received = await deps.inventario.stolenList();
  } catch (error) {
    if (previous === undefined) {
      throw new FatalError(
        `${describe(error)}; there is no previous stolen list to keep in force, so nothing is signed`,
        ExitCode.NothingDone,
        {
          cause: error,
        },
      );
    }
    return keepPrevious(deps, previous, `${describe(error)}; the previous stolen list stays in force`);
  }
  const stolen = validateStolenList(received);
  if (stolen.rejected.length > 0) {
    const what = `stolen list: entries not as expected, ${rejectedSummary(stolen.rejected)}`;
    const why = "an entry without a serial can revoke no lease; one with a bad UUID is listed without it";
    deps.log.warn({}, `${what}; ${why}`, true, rejectedCounts(stolen.rejected));
  }
  const plan = planStolenList(previous, new Set(stolen.laptops.map((laptop) => laptop.serial)), policy);
  if (plan.action === "hold") {
    const why = `stolen list held by the shrink guard: ${plan.dropped} of its ${plan.previousCount} entries would be dropped at once (more than max_shrink_percent = ${policy.maxShrinkPercent}%), it would go from ${plan.previousCount} to ${plan.newCount} laptops; the previous list stays in force, with the new entries; run with --force to accept the new list`;
    return keepPrevious(deps, plan.serials, why);
  }
  const reinstated = await updateReinstated(deps, plan.serials, previous ?? new Set(), dryRun);
  const written = dryRun ? { changed: false } : await writeStolen(deps, stolen.laptops, plan.serials, beforeChange);
  return { serials: plan.serials, reinstated, ...written };
}

async function keepPrevious(deps: RunDeps, serials: ReadonlySet<Serial>, error: string): Promise<StolenOutcome> {
  deps.log.error({}, error, { action: "stolen list failed" });
  return { serials, reinstated: await deps.state.readReinstated(), error };
}

/** Writes the lists if they changed and deletes the stolen laptops' files; a failure fails this step only (exit 3). */
async function writeStolen(
  deps: RunDeps,
  laptops: readonly StolenLaptop[],
  serials: ReadonlySet<Serial>,
  beforeChange: () => Promise<void>,
): Promise<{ changed: boolean; error?: string }> {
  try {
    if (!(await deps.outputs.stolenListDiffers(laptops))) return { changed: false };
    await beforeChange();
    await deps.outputs.writeStolen(laptops);
    await deps.outputs.removeLaptops(serials);
    deps.log.info({ stolen: serials.size }, "stolen list updated");
    return { changed: true };
  } catch (error) {
    if (error instanceof FatalError) throw error; // state_dir could not be written: the run stops
    const message = `cannot write the stolen lists: ${describe(error)}; the new list still applies to this run`;
    deps.log.error({}, message, { action: "stolen list failed" });
    // A partial write may have changed them: the hook is called to be safe.
    return { changed: true, error: message };
  }
}

/**
 * Serials that left the stolen list are remembered in the state directory until a complete
 * run has given their schools the chance to sign them again: their school's laptop list may
 * not have changed, so nothing else would make it be re-signed.
 */
async function updateReinstated(
  deps: RunDeps,
  stolen: ReadonlySet<Serial>,
  previous: ReadonlySet<Serial>,
  dryRun: boolean,
): Promise<ReadonlySet<Serial>> {
  const pending = await deps.state.readReinstated();
  const next = new Set<Serial>();
  for (const serial of [...pending, ...previous]) if (!stolen.has(serial)) next.add(serial);
  const changed = next.size !== pending.size || [...next].some((serial) => !pending.has(serial));
  if (changed && !dryRun) await deps.state.writeReinstated(next);
  return next;
}
