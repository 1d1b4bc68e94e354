// Private scratch directories in state_dir (owned by the service user, never shared): mkdtemp
// makes each 0700 with a name no one can guess. A run killed with one open leaves it behind;
// the next run that makes one of the same kind removes them first (its lock says no other run
// uses them).
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** Removes the scratch directories named `<prefix>…` that an earlier run left in `parent`. */
export async function removeScratchLeftovers(parent: string, prefix: string): Promise<void> {
  const leftovers = (await readdir(parent).catch(() => [])).filter((name) => name.startsWith(prefix));
  await Promise.all(leftovers.map((name) => rm(join(parent, name), { recursive: true, force: true })));
}

/** A new private directory in `parent`: `prefix` and six random characters (mkdtemp). */
export function makeScratchDir(parent: string, prefix: string): Promise<string> {
  return mkdtemp(join(parent, prefix));
}

export function removeScratchDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
