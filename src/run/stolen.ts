// The stolen list: fetched, written for the delivery tools when it changed, and turned into the
// set of serials that get no lease. If inventario cannot give it, the previous list still holds.
import type { Serial } from "../core/domain.js";
import { validateStolenList } from "../core/stolen-list.js";
import { describe } from "../errors.js";
import type { RunDeps } from "./context.js";

export interface StolenOutcome {
  readonly serials: ReadonlySet<Serial>;
  /** Taken off the stolen list since the last complete run (SPEC: a laptop found again is renewed). */
  readonly reinstated: ReadonlySet<Serial>;
  readonly error?: string | undefined;
  /** Whether stolen.csv / stolen.list were rewritten. */
  readonly changed?: boolean;
}

export async function updateStolenList(deps: RunDeps, dryRun: boolean, beforeChange: () => Promise<void>): Promise<StolenOutcome> {
  let received;
  try {
    received = await deps.inventario.stolenList();
  } catch (error) {
    const message = `${describe(error)}; the previous stolen list stays in force`;
    deps.log.error({ action: "stolen list failed" }, message);
    return { serials: await deps.outputs.readPreviousStolen(), reinstated: await deps.state.readReinstated(), error: message };
  }
  const stolen = validateStolenList(received);
  for (const laptop of stolen.rejected) deps.log.warn({ serial: laptop.serial }, `stolen list: ${laptop.reason}`);
  const serials = new Set(stolen.laptops.map((laptop) => laptop.serial));
  const reinstated = await updateReinstated(deps, serials, dryRun);
  if (!dryRun && (await deps.outputs.stolenListDiffers(stolen.laptops))) {
    await beforeChange();
    await deps.outputs.writeStolen(stolen.laptops);
    await deps.outputs.removeLaptops(serials);
    deps.log.info({ stolen: serials.size }, "stolen list updated");
    return { serials, reinstated, changed: true };
  }
  return { serials, reinstated };
}

/**
 * Serials that left the stolen list are remembered in the state directory until a complete
 * run has given their schools the chance to sign them again: their school's laptop list may
 * not have changed, so nothing else would make it be re-signed.
 */
async function updateReinstated(deps: RunDeps, stolen: ReadonlySet<Serial>, dryRun: boolean): Promise<ReadonlySet<Serial>> {
  const pending = await deps.state.readReinstated();
  const next = new Set<Serial>();
  for (const serial of [...pending, ...(await deps.outputs.readPreviousStolen())]) if (!stolen.has(serial)) next.add(serial);
  const changed = next.size !== pending.size || [...next].some((serial) => !pending.has(serial));
  if (changed && !dryRun) await deps.state.writeReinstated(next);
  return next;
}
