// One run at a time per state directory and per leases directory (two configurations may share
// a leases_dir, and their sweeps must not meet). Each lock is flock(2) on a file of the run's own
// user, mode 0600, in the directory: no other account can open it, and so none can hold the lock
// (flock works on any descriptor, a read-only one too). Node has no flock(2): util-linux's
// flock(1) takes the lock on our descriptor, given to it as its fd 3. The lock belongs to the open
// file description, which stays open here after flock(1) exits and which the kernel closes when
// this process ends, however it ends (kill -9 included), so no stale lock blocks the next run.
// Node opens files close-on-exec: the hook and the signers do not inherit it.
//
// `status` runs as a member of the service group, who cannot open the lock file. So the holder
// also writes beside it which process holds it since when (run-in-progress.json), and `status`
// believes that record only while that process lives: same pid, same start time, same boot, as
// /proc tells. Only the service user can write the record, and no other process can have both.
import { spawnSync } from "node:child_process";
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { temporaryFileTarget } from "../core/temporary-file.js";
import { ExitCode, FatalError, describe } from "../errors.js";
import { replaceStateFile } from "./state-file.js";

export interface Lock {
  /** Why `status` will not see this run, if the record of its holder could not be written. */
  readonly warning?: string | undefined;
  release(): Promise<void>;
}

export interface LockedDirectories {
  readonly stateDir: string;
  readonly leasesDir: string;
}

/** The run that holds a state directory's lock. */
export interface LockHolder {
  readonly pid: number;
  readonly since: Date;
}

const FLOCK = "/usr/bin/flock";
/** flock(1)'s exit status when another descriptor holds the lock (EX_TEMPFAIL). */
const HELD = 75;
const STATE_LOCK = "leasegen.lock";
/** A dot file: delivery tools copy leases_dir, and this is nothing of theirs. */
const LEASES_LOCK = ".leasegen.lock";
const HOLDER = "run-in-progress.json";
/** Its own, new or not: no link followed, no FIFO waited on. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Resolves to the lock, or to undefined if another run holds either directory. Both directories
 * must exist. A lock file that others could open, or that is not this user's, is refused
 * (FatalError): whoever can open it can hold it.
 */
export async function acquireLock(dirs: LockedDirectories): Promise<Lock | undefined> {
  const held: number[] = [];
  const unlock = (): void => held.splice(0).forEach((fd) => closeSync(fd));
  const holderFile = join(dirs.stateDir, HOLDER);
  try {
    for (const path of [join(dirs.stateDir, STATE_LOCK), join(dirs.leasesDir, LEASES_LOCK)]) {
      held.push(openLockFile(path));
      if (!flock(held.at(-1) as number, path)) {
        unlock();
        return undefined;
      }
    }
  } catch (error) {
    unlock();
    throw error;
  }
  return {
    warning: await writeHolder(holderFile),
    release: async () => {
      if (held.length > 0) await rm(holderFile, { force: true }).catch(() => undefined);
      unlock();
    },
  };
}

/**
 * The run holding the state directory's lock now, found without taking it (`status` takes no
 * lock); undefined when none does.
 */
export async function lockHolder(stateDir: string): Promise<LockHolder | undefined> {
  try {
    const record = JSON.parse(await readFile(join(stateDir, HOLDER), "utf8")) as Record<string, unknown>;
    const { pid, since, process: identity } = record;
    if (typeof pid !== "number" || typeof since !== "string" || typeof identity !== "string") return undefined;
    const started = new Date(since);
    if (Number.isNaN(started.getTime()) || identity !== processIdentity(pid)) return undefined;
    return { pid, since: started };
  } catch {
    // None, or gone while read (the run ended), or damaged: no run to show.
    return undefined;
  }
}

/**
 * Writes who holds the lock since when; on failure (a full state_dir), says why instead: the run
 * still commits what it can, as it would without this record, and only `status` misses it.
 */
async function writeHolder(path: string): Promise<string | undefined> {
  const holder = { pid: process.pid, since: new Date().toISOString(), process: processIdentity(process.pid) ?? null };
  try {
    await replaceStateFile(path, `${JSON.stringify(holder)}\n`);
    // And the copies that runs killed while writing it left.
    const leftovers = (await readdir(dirname(path))).filter((name) => temporaryFileTarget(name) === HOLDER);
    await Promise.all(leftovers.map((name) => rm(join(dirname(path), name), { force: true })));
    return undefined;
  } catch (error) {
    return `warning: cannot write ${path}: ${describe(error)}; status will not show this run in progress`;
  }
}

function openLockFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS, 0o600);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === "ELOOP" ? "it is a symbolic link" : describe(error);
    throw new FatalError(`cannot open the lock file ${path}: ${why}`, ExitCode.NothingDone, { cause: error });
  }
  const problem = lockFileProblem(fstatSync(fd));
  if (problem === undefined) return fd;
  closeSync(fd);
  throw new FatalError(`lock file ${path} ${problem}; remove it (the next run makes a new one)`, ExitCode.NothingDone);
}

function lockFileProblem(info: Stats): string | undefined {
  const uid = process.geteuid?.() ?? 0;
  if (!info.isFile()) return "is not a regular file";
  if (info.uid !== uid) return `belongs to uid ${info.uid}, not to this user (uid ${uid})`;
  if ((info.mode & 0o066) !== 0)
    return `can be opened by other users (mode ${(info.mode & 0o7777).toString(8).padStart(4, "0")}): whoever can open it can hold the lock`;
  if (info.nlink !== 1) return `has ${info.nlink} names (hard links)`;
  return undefined;
}

/** flock(LOCK_EX | LOCK_NB) on `fd`: true when taken, false when another run holds it. */
function flock(fd: number, path: string): boolean {
  const result = spawnSync(FLOCK, ["--nonblock", "--conflict-exit-code", String(HELD), "3"], {
    stdio: ["ignore", "ignore", "pipe", fd],
    encoding: "utf8",
  });
  if (result.status === 0) return true;
  if (result.status === HELD) return false;
  const why = result.error ? describe(result.error) : result.stderr.trim() || `exit status ${result.status ?? result.signal}`;
  throw new FatalError(`cannot lock ${path} with ${FLOCK} (util-linux): ${why}`, ExitCode.NothingDone);
}

/**
 * What tells a process apart from any other, ever: the boot, and its start time since boot
 * (/proc/<pid>/stat's 22nd field, in clock ticks). Undefined when it does not run (or is a zombie).
 */
function processIdentity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // After the command name, which is in parentheses and may hold anything, the 3rd field on.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X" || fields[19] === undefined) return undefined;
    return `${readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim()} ${fields[19]}`;
  } catch {
    return undefined;
  }
}
