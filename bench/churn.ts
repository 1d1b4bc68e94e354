// The churn step (issue 17): a day's change in a real deployment, about 1% of its laptops, spread
// over every school: half are new laptops, a quarter leave, a quarter get a new UUID (a repaired
// or replaced board). Only the new and changed laptops need a lease; the run must sign exactly
// those and write only their laptop files. And the inode and time of every laptop file, to count
// what a run wrote.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { laptop } from "../test/support/datasets.js";
import type { Dataset, TestLaptop } from "../test/support/inventario-server.js";

export interface Churn {
  readonly added: number;
  readonly removed: number;
  readonly changedUuid: number;
}

/**
 * Changes `fraction` of the dataset's laptops (at least one per school), new ones numbered from
 * `firstNew`: one change after the other goes to the next school, so every school gets its share.
 */
export function churn(dataset: Dataset, fraction: number, firstNew: number): Churn {
  const schools = [...dataset.schools.values()];
  const total = schools.reduce((sum, school) => sum + school.laptops.length, 0);
  const changes = Math.max(schools.length, Math.round(total * fraction));
  const added = Math.ceil(changes / 2);
  const removed = Math.floor(changes / 4);
  const changedUuid = changes - added - removed;
  let next = 0;
  const school = (): { laptops: TestLaptop[] } => schools[next++ % schools.length] as { laptops: TestLaptop[] };
  for (let i = 0; i < added; i += 1) school().laptops.push(laptop(firstNew + i));
  for (let i = 0; i < removed; i += 1) school().laptops.shift();
  for (let i = 0; i < changedUuid; i += 1) {
    const laptops = school().laptops;
    const moved = laptops[0] as TestLaptop;
    laptops[0] = { serial: moved.serial, uuid: laptop(firstNew + added + i).uuid };
  }
  return { added, removed, changedUuid };
}

/** Distinct (serial, UUID) pairs the dataset lists: the leases a run that finds every lease due signs. */
export function listedPairs(dataset: Dataset): number {
  const pairs = new Set<string>();
  for (const school of dataset.schools.values()) for (const { serial, uuid } of school.laptops) pairs.add(`${serial} ${uuid}`);
  return pairs.size;
}

/** Every laptop file's inode and modification time (ns), by path. */
export async function laptopFileStamps(leasesDir: string): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  const dir = join(leasesDir, "by-laptop");
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const info = await stat(path, { bigint: true });
    stamps.set(path, `${info.ino} ${info.mtimeNs}`);
  }
  return stamps;
}

/** Laptop files that are new, or were replaced or changed, between two sets of stamps. */
export function filesWritten(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): number {
  let written = 0;
  for (const [path, stamp] of after) if (before.get(path) !== stamp) written += 1;
  return written;
}
