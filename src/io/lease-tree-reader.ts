// Reading leases_dir for `verify`: it writes nothing, and never follows a symbolic link (a
// link under leases_dir could point anywhere) nor blocks on a FIFO or a device. Every path is
// built from names that core/lease-tree.ts accepted.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type { EntryType, TreeEntry } from "../core/lease-tree.js";
import { describe } from "../errors.js";

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** A school of 50,000 laptops is about 32 MB; nothing under leases_dir is read beyond this. */
const MAX_BYTES = 256 * 1024 * 1024;

export type ReadResult = { readonly bytes: Buffer } | { readonly missing: true } | { readonly error: string };

function typeOf(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (entry.isSymbolicLink()) return "symlink";
  if (entry.isDirectory()) return "directory";
  return entry.isFile() ? "file" : "other";
}

/** What is at `path`, without following a link; undefined when nothing is. */
export function entryType(path: string): EntryType | undefined {
  try {
    return typeOf(lstatSync(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** The entries of a directory; none when it does not exist. */
export async function listEntries(dir: string): Promise<TreeEntry[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return entries.map((entry) => ({ name: entry.name, type: typeOf(entry) }));
}

/**
 * A regular file's bytes. Synchronous on purpose: a lease file is a few hundred bytes in the page
 * cache, read in microseconds, and verify reads tens of thousands of them while the verifying
 * workers run on the other cores.
 */
export function readRegularFile(path: string): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { missing: true };
    return { error: code === "ELOOP" ? "a symbolic link: not followed" : `cannot be read: ${describe(error)}` };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { error: "not a regular file" };
    if (info.size > MAX_BYTES) return { error: `${info.size} bytes: far too large for a lease file` };
    // One read of the size fstat gave: a lease file does not grow while it is read (it is replaced).
    const bytes = Buffer.allocUnsafe(info.size);
    const read = readSync(fd, bytes, 0, info.size, 0);
    return { bytes: read === info.size ? bytes : bytes.subarray(0, read) };
  } catch (error) {
    return { error: `cannot be read: ${describe(error)}` };
  } finally {
    closeSync(fd);
  }
}
