// The one way this program replaces a file: the bytes go to a new temporary file in the same
// directory, are fsynced, and the temporary file is renamed over the target, so a reader (or a
// run killed with -9) sees the old file or the new one, never a torn one; then the directory is
// fsynced, which makes the renames durable. rename(2) replaces a symbolic link in the target's
// place, never writing through it.
//
// The temporary file is `.<name>.<pid>-<n>.tmp` (core/temporary-file.ts): no school, laptop or
// state file can have a name starting with ".", so the sweep never takes a school's file for
// one (write-file-atomic's `<name>.<number>` is a name a school may have, and it cannot be
// changed). It is created with O_EXCL|O_NOFOLLOW: whatever is already at that name, a file or
// a link, is never reused or followed; the next number is tried instead.
// The asynchronous form serves single files; the synchronous one, many files on the writer
// threads (file-writer.ts), where one file's steps do not queue behind other files' fsyncs.
import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { eachLimited } from "./each-limited.js";

/** Created, never reused, never through a link; 0644 under the program's umask of 022 (index.ts). */
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const MODE = 0o644;
/** Names tried before giving up: only files left by other processes of the same pid are in the way. */
const ATTEMPTS = 100;

/** Unique within the process: the writer threads share its pid. */
let written = threadId * 2 ** 32;

function temporaryPath(path: string): string {
  written += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}-${written}.tmp`);
}

const inTheWay = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "EEXIST" || code === "ELOOP";
};

/** Replaces `path` with `data` (mode 0644). A symbolic link in its place is replaced, never written through. */
export async function replaceFile(path: string, data: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const temp = temporaryPath(path);
    let handle: FileHandle;
    try {
      handle = await open(temp, CREATE, MODE);
    } catch (error) {
      if (inTheWay(error) && attempt < ATTEMPTS) continue;
      throw error;
    }
    try {
      await handle.writeFile(data);
      await handle.sync();
      await handle.close();
      await rename(temp, path);
      return;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/** `replaceFile`, blocking the calling thread: for the writer threads only. */
export function replaceFileSync(path: string, data: string): void {
  for (let attempt = 1; ; attempt += 1) {
    const temp = temporaryPath(path);
    let fd: number;
    try {
      fd = openSync(temp, CREATE, MODE);
    } catch (error) {
      if (inTheWay(error) && attempt < ATTEMPTS) continue;
      throw error;
    }
    try {
      try {
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
      return;
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
      throw error;
    }
  }
}

/** Makes the renames in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Directories this process has already created or found, so each is made once per run. */
const madeDirectories = new Set<string>();

/** Creates the directories of these files; resolves to the distinct directories. */
export async function ensureDirectories(paths: readonly string[]): Promise<string[]> {
  const dirs = [...new Set(paths.map((path) => dirname(path)))];
  await Promise.all(
    dirs
      .filter((dir) => !madeDirectories.has(dir))
      .map(async (dir) => {
        await mkdir(dir, { recursive: true, mode: 0o755 });
        madeDirectories.add(dir);
      }),
  );
  return dirs;
}

/** Files to replace: path and new content. */
export type FileEntries = readonly (readonly [path: string, data: string])[];

/**
 * Writes many files atomically, then makes their directories durable. `replaceEach` replaces
 * them all: by default several at once from this thread; the writer threads' (file-writer.ts)
 * otherwise.
 */
export async function replaceFiles(
  files: ReadonlyMap<string, string>,
  replaceEach: (entries: FileEntries) => Promise<void> = (entries) => eachLimited(entries, 32, ([path, data]) => replaceFile(path, data)),
): Promise<void> {
  const dirs = await ensureDirectories([...files.keys()]);
  await replaceEach([...files]);
  await eachLimited(dirs, 32, syncDirectory);
}
