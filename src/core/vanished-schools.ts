// Schools that have files here but that inventario no longer lists: their leases must go, or
// their laptops would keep getting renewals. An empty or truncated school list from a broken
// inventario must not wipe a deployment, so a large loss is held like a shrinking school.
import { byteOrder, type Hostname } from "./domain.js";
import type { Policy } from "./school-plan.js";

export type VanishedPlan =
  | { readonly action: "remove"; readonly vanished: Hostname[] }
  | { readonly action: "hold"; readonly vanished: Hostname[]; readonly existing: number };

/** `existing`: the schools this state_dir wrote that have files; `listed`: every name inventario sent, refused ones included. */
export function planVanishedSchools(existing: readonly Hostname[], listed: readonly string[], policy: Policy): VanishedPlan {
  const listedSet = new Set<string>(listed);
  const vanished = existing.filter((hostname) => !listedSet.has(hostname)).sort(byteOrder);
  const tooMany = vanished.length * 100 > policy.maxShrinkPercent * existing.length;
  return tooMany && !policy.force ? { action: "hold", vanished, existing: existing.length } : { action: "remove", vanished };
}
