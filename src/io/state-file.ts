// How the program replaces a file of its own state (checksums, signed records, the run record,
// the in-progress record, the metrics file): write-file-atomic, which writes `<name>.<number>`
// beside it, fsyncs it and renames it over the old one. Those directories were checked at start
// (safe-directory-check.ts): no other account can write there, so its predictable temporary name
// cannot be a planted link. The lease tree, which other configurations share and whose names
// come from inventario, is written by atomic-file.ts instead, whose temporary names no school can
// have. Only what write-file-atomic does not do is added: never writing through a link in the
// file's place (it would write the link's target).
import { randomInt } from "node:crypto";
import { constants } from "node:fs";
import { open, realpath, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import writeFileAtomic from "write-file-atomic";

/** An explicit mode and owner spare write-file-atomic a stat of the old file per write. */
const OPTIONS = { mode: 0o644, chown: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 } } as const;

class LinkInTheWay extends Error {}

/**
 * write-file-atomic resolves the target's real path; its temporary file's name shows where it is
 * about to write. If that is not `path` in its directory's real path (or `path` as given, for a
 * new file), a link is in the file's place: this throws, and the caller removes the link.
 */
function writeOptions(path: string, realDir: string): writeFileAtomic.Options {
  const here = [`${join(realDir, basename(path))}.`, `${path}.`];
  const tmpfileCreated = (tmp: string): void => {
    if (!here.some((prefix) => tmp.startsWith(prefix) && /^\d+$/.test(tmp.slice(prefix.length)))) throw new LinkInTheWay();
  };
  return { ...OPTIONS, tmpfileCreated };
}

/** Replaces the state file `path` with `data` (mode 0644). A symbolic link in its place is replaced, never written through. */
export async function replaceStateFile(path: string, data: string): Promise<void> {
  const options = writeOptions(path, await realpath(dirname(path)));
  try {
    await writeFileAtomic(path, data, options);
  } catch (error) {
    if (!(error instanceof LinkInTheWay)) throw error;
    await unlink(path);
    await writeFileAtomic(path, data, options);
  }
}

/**
 * `replaceStateFile` for a file whose modification time says something (a school's checksum
 * file: the Ruby program re-signs a school when it is old): the new file appears already dated
 * `mtime`, never for an instant with the time of its writing. write-file-atomic cannot date its
 * temporary file before the rename, so this writes one of the same shape, `<name>.<10 digits>`
 * (what the state directory's cleanup recognises), in the same steps: create (exclusively, never
 * through a link), write, date, fsync, rename.
 */
export async function replaceStateFileDated(path: string, data: string, mtime: Date): Promise<void> {
  const temporary = `${path}.${randomInt(1_000_000_000, 4_294_967_296)}`;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(temporary, flags, OPTIONS.mode);
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
