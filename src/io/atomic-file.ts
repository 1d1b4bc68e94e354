// The one way this program writes a file: the bytes go to a new temporary file in the same
// directory, are fsynced, and the temporary file is renamed over the old one, so a reader (or
// a run killed with -9) sees the old file or the new one, never a torn one. rename(2) replaces
// a symbolic link in the way rather than writing through it.
import * as fs from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { eachLimited } from "./each-limited.js";

/** Temporary files are `.<name>.<pid>-<n>.tmp`: hidden, and recognised by the sweep. */
export const TEMP_FILE = /^\..*\.\d+-\d+\.tmp$/;

let written = 0;

/** Replaces `path` with `data` (mode 0644 under the program's umask of 022). */
export function replaceFile(path: string, data: string): Promise<void> {
  written += 1;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${written}.tmp`);
  // Callbacks rather than FileHandles: a full regeneration writes one file per laptop, and
  // this halves the main thread's work per file.
  return new Promise((resolve, reject) => {
    const fail = (error: Error, fd?: number): void => {
      const cleanUp = (): void => fs.rm(temp, { force: true }, () => reject(error));
      if (fd === undefined) cleanUp();
      else fs.close(fd, cleanUp);
    };
    // "wx": O_CREAT|O_EXCL, so an existing file or link of that name is never reused.
    fs.open(temp, "wx", 0o644, (openError, fd) => {
      if (openError) return reject(openError);
      fs.writeFile(fd, data, (writeError) => {
        if (writeError) return fail(writeError, fd);
        fs.fsync(fd, (syncError) => {
          if (syncError) return fail(syncError, fd);
          fs.close(fd, (closeError) => {
            if (closeError) return fail(closeError);
            fs.rename(temp, path, (renameError) => (renameError ? fail(renameError) : resolve()));
          });
        });
      });
    });
  });
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
