// The one way this program replaces a file: write-file-atomic, which writes a temporary file
// `<name>.<number>` in the same directory, fsyncs it and renames it over the old one, so a reader
// (or a run killed with -9) sees the old file or the new one, never a torn one. Around it, only
// what it does not do itself: the directory fsync that makes the renames durable and never
// writing through a symbolic link (core/temporary-file.ts recognises what a killed run leaves).
// Its asynchronous form serves single files; its synchronous form, many files on the writer
// threads (file-writer.ts), where one file's steps do not queue behind other files' fsyncs.
import { randomInt } from "node:crypto";
import { constants, realpathSync, unlinkSync } from "node:fs";
import { mkdir, open, realpath, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { eachLimited } from "./each-limited.js";

/** An explicit mode and owner spare write-file-atomic a stat of the old file per write. */
const OPTIONS = { mode: 0o644, chown: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } } as const;

class LinkInTheWay extends Error {}

/**
 * write-file-atomic resolves the target's real path: a link at `path` would have it write the
 * link's target. Its temporary file's name shows where it is about to write; if that is not
 * here, this throws, and the caller removes the link and writes again. "Here" is the real path,
 * or `path` as given when there is nothing to resolve yet (a new file: then a directory on the
 * way may be a link, as a leases_dir on another disk often is).
 */
function writeOptions(path: string, realDir: string): writeFileAtomic.Options {
  const here = [`${join(realDir, basename(path))}.`, `${path}.`];
  const tmpfileCreated = (tmp: string): void => {
    if (!here.some((prefix) => tmp.startsWith(prefix) && /^\d+$/.test(tmp.slice(prefix.length)))) throw new LinkInTheWay();
  };
  return { ...OPTIONS, tmpfileCreated };
}

/** Real paths of the directories written to, resolved once each (per thread). */
const realDirectories = new Map<string, Promise<string>>();
const realDirectoriesSync = new Map<string, string>();

function realDirectory(dir: string): Promise<string> {
  let real = realDirectories.get(dir);
  if (!real) {
    real = realpath(dir);
    realDirectories.set(dir, real);
    real.catch(() => realDirectories.delete(dir));
  }
  return real;
}

function realDirectorySync(dir: string): string {
  let real = realDirectoriesSync.get(dir);
  if (real === undefined) {
    real = realpathSync(dir);
    realDirectoriesSync.set(dir, real);
  }
  return real;
}

/** Replaces `path` with `data` (mode 0644). A symbolic link in its place is replaced, never written through. */
export async function replaceFile(path: string, data: string): Promise<void> {
  const options = writeOptions(path, await realDirectory(dirname(path)));
  try {
    await writeFileAtomic(path, data, options);
  } catch (error) {
    if (!(error instanceof LinkInTheWay)) throw error;
    await unlink(path);
    await writeFileAtomic(path, data, options);
  }
}

/** `replaceFile`, blocking the calling thread: for the writer threads only. */
export function replaceFileSync(path: string, data: string): void {
  const options = writeOptions(path, realDirectorySync(dirname(path)));
  try {
    writeFileAtomic.sync(path, data, options);
  } catch (error) {
    if (!(error instanceof LinkInTheWay)) throw error;
    unlinkSync(path);
    writeFileAtomic.sync(path, data, options);
  }
}

/**
 * `replaceFile` for a file whose modification time says something (a school's checksum file: the
 * Ruby program re-signs a school when it is old): the new file appears already dated `mtime`,
 * never for an instant with the time of its writing. write-file-atomic cannot date its temporary
 * file before the rename, so this writes one of the same name, `<name>.<10 digits>` (what the
 * sweeps recognise), in the same steps: create, write, date, fsync, rename.
 */
export async function replaceFileDated(path: string, data: string, mtime: Date): Promise<void> {
  const temporary = `${path}.${randomInt(1_000_000_000, 4_294_967_296)}`;
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, OPTIONS.mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.chmod(OPTIONS.mode);
      await handle.utimes(mtime, mtime);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
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
