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

/** What is known of a vanished school's by-school file, and of what this state_dir last wrote there. */
export interface VanishedSchoolFiles {
  /** The file now: undefined when there is none; its digest undefined when it cannot be read. */
  readonly file?: { readonly sha256: string | undefined; readonly modifiedAt: Date } | undefined;
  /** From the school's signed record: the digest of the file this state_dir last wrote. */
  readonly writtenSha256?: string | undefined;
  /** Its checksum file's time: written after the school file, by this program and the Ruby one. */
  readonly checksumWrittenAt?: Date | undefined;
}

/**
 * Whether a vanished school's files are still what this state_dir last wrote, so that removing
 * them removes nothing of another configuration's (a school that moved to one on the same
 * leases_dir is signed there). The record's digest says it; without one (a record from before
 * it was kept, or the Ruby program's state) a file no newer than the checksum file is ours.
 */
export function stillWrittenHere(files: VanishedSchoolFiles): boolean {
  const { file } = files;
  if (file === undefined) return true;
  if (files.writtenSha256 !== undefined) return file.sha256 === files.writtenSha256;
  return (
    files.checksumWrittenAt !== undefined && file.sha256 !== undefined && file.modifiedAt.getTime() <= files.checksumWrittenAt.getTime()
  );
}
