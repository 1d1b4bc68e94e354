// The directory `export` writes to, usually a mounted USB stick. It must already exist: a stick
// that did not mount must not fill the mount point on the host's own disk.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { ExitCode, FatalError, describe } from "../errors.js";
import { replaceFiles } from "./atomic-file.js";

const unusable = (dir: string, why: string, cause?: unknown): FatalError =>
  new FatalError(`cannot export to ${dir}: ${why}`, ExitCode.Usage, { cause });

/** Fails with exit status 2 unless `dir` is an existing, writable directory. */
export async function checkExportDir(dir: string): Promise<void> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    throw unusable(dir, error.code === "ENOENT" ? "no such directory" : describe(error), error);
  });
  if (!info.isDirectory()) throw unusable(dir, "not a directory");
  await access(dir, constants.W_OK).catch((error: unknown) => {
    throw unusable(dir, `cannot be written (${describe(error)})`, error);
  });
}

/** Writes one file under `dir` atomically (its directories made as needed); a failure is exit status 2. */
export async function writeExportFile(dir: string, path: string, data: string): Promise<void> {
  try {
    await replaceFiles(new Map([[join(dir, path), data]]));
  } catch (error) {
    throw unusable(dir, `cannot write ${path}: ${describe(error)}`, error);
  }
}
