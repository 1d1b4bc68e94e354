// Before a run writes anything: leases_dir, state_dir and metrics_file's directory must be out of
// other accounts' reach (core/safe-directory.ts decides; this reads the facts). Each path is
// resolved here as the kernel does, one component at a time, so that every directory entered and
// every link followed on the way is looked at, not only those of its real path.
import { readFile, lstat, readlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Config } from "../core/config.js";
import { unsafeDirectory, type KernelProtections, type PathChain, type PathStep } from "../core/safe-directory.js";
import { ExitCode, FatalError } from "../errors.js";

/** Linux's limit on links followed in one path (MAXSYMLINKS). */
const MAX_LINKS = 40;

/** Every directory entered and link followed resolving `path` (absolute), as far as it exists. */
export async function readPathChain(path: string): Promise<PathChain> {
  const stepAt = async (at: string): Promise<PathStep | undefined> => {
    const info = await lstat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (info === undefined) return undefined;
    const type = info.isSymbolicLink() ? "link" : info.isDirectory() ? "directory" : "other";
    return { path: at, type, uid: info.uid, mode: info.mode & 0o7777 };
  };
  const root = (await stepAt("/")) as PathStep;
  const steps: PathStep[] = [root];
  /** The directories from / to where resolution stands, as `..` walks them back. */
  const dirs: PathStep[] = [root];
  const parts = path.split("/");
  let links = 0;
  for (let name = parts.shift(); name !== undefined; name = parts.shift()) {
    const here = dirs.at(-1) as PathStep;
    if (name === "" || name === ".") continue;
    if (name === "..") {
      if (dirs.length > 1) dirs.pop();
      continue;
    }
    const step = await stepAt(join(here.path, name));
    if (step === undefined) return { steps, last: here, missing: true };
    steps.push(step);
    if (step.type === "other") return { steps, last: step, missing: false };
    if (step.type === "directory") dirs.push(step);
    else {
      if (++links > MAX_LINKS) throw new Error(`${path}: too many levels of symbolic links`);
      const target = await readlink(step.path);
      parts.unshift(...target.split("/"));
      if (target.startsWith("/")) dirs.splice(1);
    }
  }
  return { steps, last: dirs.at(-1) as PathStep, missing: false };
}

/** fs.protected_symlinks and fs.protected_regular; a kernel without them protects nothing. */
export async function readKernelProtections(): Promise<KernelProtections> {
  const value = (name: string): Promise<number> =>
    readFile(`/proc/sys/fs/${name}`, "utf8").then(
      (text) => Number(text.trim()),
      () => 0,
    );
  const [symlinks, regular] = await Promise.all([value("protected_symlinks"), value("protected_regular")]);
  return { protectedSymlinks: symlinks >= 1, protectedRegular: regular >= 1 };
}

/**
 * Fails (exit status 2) naming the first directory the run would write into that another account
 * could steer the writes in: leases_dir, state_dir, and metrics_file's directory.
 */
export async function checkSafeDirectories(config: Config): Promise<void> {
  const kernel = await readKernelProtections();
  const serviceUid = process.geteuid?.() ?? 0;
  const directories: [what: string, dir: string][] = [
    ["leases_dir", config.leasesDir],
    ["state_dir", config.stateDir],
  ];
  if (config.metricsFile !== undefined) directories.push([`metrics_file's directory`, dirname(config.metricsFile)]);
  for (const [what, dir] of directories) {
    // A path that cannot be looked at (EACCES, ELOOP) cannot be written either: the first write says so.
    const chain = await readPathChain(dir).catch(() => undefined);
    const problem = chain && unsafeDirectory(chain, serviceUid, kernel);
    if (problem !== undefined) throw new FatalError(`unsafe ${what} ${dir}: ${problem}`, ExitCode.Usage);
  }
}
