// The one way this program writes a file: the bytes go to a new temporary file in the same
// directory, are fsynced, and the temporary file is renamed over the old one, so a reader (or
// a run killed with -9) sees the old file or the new one, never a torn one. rename(2) replaces
// a symbolic link in the way rather than writing through it.
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { eachLimited } from "./each-limited.js";

/** Temporary files are `.<name>.<pid>-<n>.tmp`: hidden, and recognised by the sweep. */
export const TEMP_FILE = /^\..*\.\d+-\d+\.tmp$/;

let written = 0;

/** Replaces `path` with `data` (mode 0644 under the program's umask of 022). */
export async function replaceFile(path: string, data: string): Promise<void> {
  written += 1;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${written}.tmp`);
  // "wx": O_CREAT|O_EXCL, so an existing file or link of that name is never reused.
  const handle = await open(temp, "wx", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
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

/** Writes many files atomically, several at once, then makes their directories durable. */
export async function replaceFiles(files: ReadonlyMap<string, string>, concurrency = 32): Promise<void> {
  const dirs = await ensureDirectories([...files.keys()]);
  await eachLimited([...files], concurrency, ([path, data]) => replaceFile(path, data));
  await eachLimited(dirs, concurrency, syncDirectory);
}
