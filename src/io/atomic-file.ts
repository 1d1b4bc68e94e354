// The one way this program writes a file: write-file-atomic puts the bytes in a temporary file
// in the same directory, fsyncs it and renames it over the old one, so a reader (or a run
// killed with -9) sees the old file or the new one, never a torn one.
import { lstat, mkdir, open, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { eachLimited } from "./each-limited.js";

export const FILE_MODE = 0o644;

/**
 * Replaces `path` with `data`, mode 0644. A symbolic link in its place is removed first, since
 * write-file-atomic would otherwise write through it to wherever it points.
 */
export async function replaceFile(path: string, data: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isSymbolicLink()) await unlink(path);
  await writeFileAtomic(path, data, { mode: FILE_MODE, fsync: true, encoding: "utf8" });
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

/** Creates the directories of these files; resolves to the distinct directories. */
export async function ensureDirectories(paths: readonly string[]): Promise<string[]> {
  const dirs = [...new Set(paths.map((path) => dirname(path)))];
  await Promise.all(dirs.map((dir) => mkdir(dir, { recursive: true, mode: 0o755 })));
  return dirs;
}

/** Writes many files atomically, several at once, then makes their directories durable. */
export async function replaceFiles(files: ReadonlyMap<string, string>, concurrency = 32): Promise<void> {
  const dirs = await ensureDirectories([...files.keys()]);
  await eachLimited([...files], concurrency, ([path, data]) => replaceFile(path, data));
  await Promise.all(dirs.map(syncDirectory));
}
