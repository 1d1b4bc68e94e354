// The directories of leases_dir as verify walks them: which school files there are, and, once
// every school has been checked, what no school accounts for: laptop files that no school lists
// or that sit in the wrong bucket, stray entries and the temporary files of interrupted writes.
import { join } from "node:path";
import { parseSerial, type Hostname, type Serial } from "../core/domain.js";
import type { LaptopFileLedger } from "../core/laptop-file-ledger.js";
import { checkSchoolFile, type LeaseProblem } from "../core/lease-check.js";
import { checkRootEntry, classifyBucket, classifyLaptopEntry, classifySchoolEntry, type TreeEntry } from "../core/lease-tree.js";
import { describe } from "../errors.js";
import { entryType, listEntries, readRegularFile } from "../io/lease-tree-reader.js";

/** Where verify puts what it finds. */
export interface Found {
  readonly ledger: LaptopFileLedger;
  laptopFiles: number;
  add(file: string, serial: string | undefined, problem: LeaseProblem): void;
}

export interface Schools {
  /** The school files to check. */
  readonly checked: readonly Hostname[];
  /** With HOST…, the other school files: they may list the same laptops. */
  readonly others: readonly Hostname[];
}

/** A directory of leases_dir that must be a real directory (a link is not followed); false when it is not there. */
function isDirectory(path: string, found: Found): boolean {
  const type = entryType(path);
  if (type === undefined || type === "directory") return type === "directory";
  found.add(path, undefined, { kind: "stray-file", what: type === "symlink" ? "a symbolic link: not followed" : "not a directory" });
  return false;
}

/** A directory's entries; none, with the problem told, when it cannot be listed. */
async function list(dir: string, found: Found): Promise<TreeEntry[]> {
  try {
    return await listEntries(dir);
  } catch (error) {
    found.add(dir, undefined, { kind: "unreadable", what: `cannot be listed: ${describe(error)}` });
    return [];
  }
}

/** Whether a file reads as a school file (canonical or not). */
function readsAsSchoolFile(path: string): boolean {
  const read = readRegularFile(path);
  return "bytes" in read && checkSchoolFile(read.bytes).leases !== undefined;
}

/**
 * The school files (those named, if any); the problems of by-school/'s other entries when all
 * are checked. `known` are the names of schools (listed by inventario, or with a checksum in
 * state_dir): like a file that reads as a school file, never taken for a temporary file.
 */
export async function listSchools(
  leasesDir: string,
  found: Found,
  known: ReadonlySet<string>,
  named?: readonly Hostname[],
): Promise<Schools> {
  if (entryType(leasesDir) === undefined)
    found.add(leasesDir, undefined, { kind: "unreadable", what: "no such directory: no lease to verify" });
  const dir = join(leasesDir, "by-school");
  const entries = isDirectory(dir, found) ? await list(dir, found) : [];
  const directory = {
    names: new Set(entries.map((entry) => entry.name)),
    isSchool: (name: string) => known.has(name) || readsAsSchoolFile(join(dir, name)),
  };
  const hostnames: Hostname[] = [];
  for (const entry of entries) {
    const classified = classifySchoolEntry(entry, directory);
    if ("hostname" in classified) hostnames.push(classified.hostname);
    else if (named === undefined) found.add(join(dir, entry.name), undefined, classified);
  }
  if (named === undefined) return { checked: hostnames, others: [] };
  const wanted = new Set(named);
  return { checked: named, others: hostnames.filter((hostname) => !wanted.has(hostname)) };
}

/** Everything in leases_dir that no school file accounts for. */
export async function walkTree(leasesDir: string, stolen: ReadonlySet<Serial>, found: Found): Promise<void> {
  for (const entry of await list(leasesDir, found)) {
    const problem = checkRootEntry(entry);
    if (problem) found.add(join(leasesDir, entry.name), undefined, problem);
  }
  const laptops = join(leasesDir, "by-laptop");
  if (!isDirectory(laptops, found)) return;
  for (const entry of await list(laptops, found)) {
    const bucket = classifyBucket(entry);
    if ("bucket" in bucket) await walkBucket(join(laptops, entry.name), bucket.bucket, stolen, found);
    else found.add(join(laptops, entry.name), undefined, bucket);
  }
}

async function walkBucket(dir: string, bucket: string, stolen: ReadonlySet<Serial>, found: Found): Promise<void> {
  for (const entry of await list(dir, found)) {
    const path = join(dir, entry.name);
    const serial = parseSerial(entry.name);
    // A listed laptop's link or device was told when its school was checked.
    if (serial.ok && found.ledger.has(serial.value) && entry.type !== "file") continue;
    const laptop = classifyLaptopEntry(bucket, entry);
    if (!("serial" in laptop)) {
      found.add(path, serial.ok ? serial.value : undefined, laptop);
      continue;
    }
    if (found.ledger.has(laptop.serial)) continue;
    found.laptopFiles += 1;
    const problem: LeaseProblem = stolen.has(laptop.serial)
      ? { kind: "stolen", what: "on stolen.list, yet its laptop file holds a lease (and no school file lists it)" }
      : { kind: "orphan", what: "no school file lists it" };
    found.add(path, laptop.serial, problem);
  }
}
