// The directory `export` writes to, usually a mounted USB stick: a file system someone else
// prepared, that `export` writes as root (issue 15 §1, §2). It must already exist (a stick that
// did not mount must not fill the mount point on the host's own disk), and may be reached through
// a link (a mount point often is), resolved once, when it is opened. Under it nothing is followed:
// each directory is created or opened without following a link, and every later path is
// resolved through the descriptor of the directory it is in (/proc/self/fd/N/name, which Linux
// resolves like openat), so a link swapped in meanwhile is not followed either. A file is
// written to a temporary file created exclusively, without following links, under a random
// name, fsynced and renamed into place: write-file-atomic's `<name>.<number>`, opened without
// O_EXCL, would write through a link planted at that predictable name.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, lstat, mkdir, open, rename, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode, FatalError, describe } from "../errors.js";

const { O_RDONLY, O_WRONLY, O_DIRECTORY, O_NOFOLLOW, O_CREAT, O_EXCL } = constants;

const unusable = (dir: string, why: string, cause?: unknown): FatalError =>
  new FatalError(`cannot export to ${dir}: ${why}`, ExitCode.Usage, { cause });

/** A symbolic link (or something else than a directory) where `export` must write. */
class NotFollowed extends Error {}

/** `name` in the directory open as `dir`, whatever path leads there now. */
const at = (dir: FileHandle, name: string): string => `/proc/self/fd/${dir.fd}/${name}`;

export class ExportDir {
  private constructor(
    /** As given on the command line, for messages. */
    readonly path: string,
    private readonly root: FileHandle,
  ) {}

  /** Opens DIR; fails with exit status 2 unless it is an existing, writable directory. */
  static async open(path: string): Promise<ExportDir> {
    const root = await open(path, O_RDONLY | O_DIRECTORY).catch((error: NodeJS.ErrnoException) => {
      const why = error.code === "ENOENT" ? "no such directory" : error.code === "ENOTDIR" ? "not a directory" : describe(error);
      throw unusable(path, why, error);
    });
    try {
      await access(`/proc/self/fd/${root.fd}`, constants.W_OK);
    } catch (error) {
      await root.close();
      throw unusable(path, `cannot be written (${describe(error)})`, error);
    }
    return new ExportDir(path, root);
  }

  /**
   * Replaces `files` (name → bytes, in this order) in DIR/`dirs`…, creating the directories as
   * needed. A link (or non-directory) on the way or in a file's place is found before anything
   * is written and resolves to a line naming it; any other failure is exit status 2.
   */
  async replaceFiles(dirs: readonly string[], files: readonly (readonly [name: string, data: string])[]): Promise<string | undefined> {
    const opened: FileHandle[] = [];
    let where = this.path;
    try {
      let dir = this.root;
      for (const name of dirs) {
        where = join(where, name);
        dir = await openSubdirectory(dir, name, where);
        opened.push(dir);
      }
      for (const [name] of files) await refuseNonFile(dir, name, join(where, name));
      for (const [name, data] of files) await replaceFile(dir, name, data);
      // The new directories' entries, and the renames, made durable before the stick is pulled.
      for (const handle of [this.root, ...opened]) await handle.sync();
      return undefined;
    } catch (error) {
      if (error instanceof NotFollowed) return error.message;
      // Node names the /proc/self/fd paths, which mean nothing to the operator: `where` says it.
      const why = describe(error).replaceAll(/ '\/proc\/self\/fd\/[^']*'( -> '[^']*')?/g, "");
      throw unusable(this.path, `cannot write in ${where}: ${why}`, error);
    } finally {
      await Promise.all(opened.map((handle) => handle.close()));
    }
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

/** Opens (creating it if need be) a directory in `parent` without following a link there. */
async function openSubdirectory(parent: FileHandle, name: string, where: string): Promise<FileHandle> {
  await mkdir(at(parent, name), 0o755).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  return open(at(parent, name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOTDIR" && error.code !== "ELOOP") throw error;
    const link = (await lstat(at(parent, name))).isSymbolicLink();
    throw new NotFollowed(`${where} is ${link ? "a symbolic link: not followed" : "not a directory"}`);
  });
}

/** A file's place must hold a file or nothing: a link there is not replaced, it is named. */
async function refuseNonFile(dir: FileHandle, name: string, where: string): Promise<void> {
  const info = await lstat(at(dir, name)).catch(() => undefined);
  if (info === undefined || info.isFile()) return;
  throw new NotFollowed(`${where} is ${info.isSymbolicLink() ? "a symbolic link: not followed" : "not a file"}`);
}

/** Writes a new file under a random name, exclusively and not through a link, then renames it over `name`. */
async function replaceFile(dir: FileHandle, name: string, data: string): Promise<void> {
  const temporary = `.${name}.${randomBytes(16).toString("hex")}`;
  const file = await open(at(dir, temporary), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
  try {
    try {
      await file.writeFile(data, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(at(dir, temporary), at(dir, name));
  } catch (error) {
    await unlink(at(dir, temporary)).catch(() => undefined);
    throw error;
  }
}
