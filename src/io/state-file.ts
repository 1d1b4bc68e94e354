// How the program replaces a file of its own state (checksums, signed records, the run record,
// the in-progress record, the metrics file): write-file-atomic, which writes `<name>.<number>`
// beside it, fsyncs it and renames it over the old one. Those directories were checked at start
// (safe-directory-check.ts): no other account can write there, so its predictable temporary name
// cannot be a planted link. The lease tree, which other configurations share and whose names
// come from inventario, is written by atomic-file.ts instead, whose temporary names no school can
// have. Only what write-file-atomic does not do is added: never writing through a link in the
// file's place (it would write the link's target).
import { realpath, unlink } from "node:fs/promises";
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
