// Whether a directory the program writes into is out of other accounts' reach (issue 15 §1), as
// logrotate and sshd's StrictModes decide it. write-file-atomic's temporary file has a name
// another account can predict and is opened without O_EXCL or O_NOFOLLOW: where another account
// can write, a link planted at that name would be written through. So the program writes only
// where no account but the service user and root can write, or where the kernel refuses to follow
// another account's links and to open another account's files (a world-writable sticky
// directory with fs.protected_symlinks and fs.protected_regular on); and every directory on
// the way there is theirs and not writable by others, or sticky (so no one can rename another's
// entry in it, as in /tmp). Facts in, verdict out: src/io/safe-directory-check.ts reads them.

export interface PathStep {
  readonly path: string;
  /** A directory entered, a symbolic link followed, or something else (not a directory: the end). */
  readonly type: "directory" | "link" | "other";
  readonly uid: number;
  /** st_mode's permission bits, the sticky bit included. */
  readonly mode: number;
}

export interface PathChain {
  /** What resolving the path met, from / down: every directory entered and link followed. */
  readonly steps: readonly PathStep[];
  /** The directory itself, or when it does not exist yet, the one it will be created in. */
  readonly last: PathStep;
  readonly missing: boolean;
}

/** The kernel's protections in world-writable sticky directories (/proc/sys/fs). */
export interface KernelProtections {
  /** fs.protected_symlinks = 1: another account's link there is not followed. */
  readonly protectedSymlinks: boolean;
  /** fs.protected_regular ≥ 1: another account's file there is not opened with O_CREAT. */
  readonly protectedRegular: boolean;
}

const STICKY = 0o1000;
const GROUP_WRITE = 0o020;
const OTHER_WRITE = 0o002;

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, "0");

/** Who besides the owner can write, in words; undefined for no one. (An ACL's mask shows in the group bits.) */
function writers(mode: number): string | undefined {
  const group = (mode & GROUP_WRITE) !== 0;
  const other = (mode & OTHER_WRITE) !== 0;
  if (group && other) return "its group and others";
  return group ? "its group" : other ? "others" : undefined;
}

/** Whether the kernel keeps other accounts' links and files in this directory from being used. */
function kernelGuards(step: PathStep, kernel: KernelProtections): string | undefined {
  if ((step.mode & OTHER_WRITE) === 0) return "the kernel's fs.protected_symlinks covers world-writable sticky directories only";
  const off = [!kernel.protectedSymlinks && "fs.protected_symlinks", !kernel.protectedRegular && "fs.protected_regular"].filter(Boolean);
  return off.length === 0 ? undefined : `the kernel's ${off.join(" and ")} ${off.length === 1 ? "is" : "are"} off`;
}

/** The problem with a step on the way (an ancestor or a link followed: who may write in the last is lastProblem's). */
function stepProblem(step: PathStep, chain: PathChain, serviceUid: number): string | undefined {
  if (step.type === "other") return undefined;
  if (step.uid !== 0 && step.uid !== serviceUid)
    return `${step.path} is owned by uid ${step.uid}, not by root or the service user (uid ${serviceUid})`;
  const whom = step.type === "directory" && step !== chain.last ? writers(step.mode) : undefined;
  if (whom !== undefined && (step.mode & STICKY) === 0)
    return `${step.path} is writable by ${whom} (mode ${octal(step.mode)}): another account could replace what lies under it`;
  return undefined;
}

/** The problem with the directory written into (or the one it will be created in), if any. */
function lastProblem(chain: PathChain, kernel: KernelProtections): string | undefined {
  const { last } = chain;
  const whom = writers(last.mode);
  if (whom === undefined) return undefined;
  const mode = `(mode ${octal(last.mode)})`;
  if (chain.missing)
    return `it does not exist, and ${last.path}, where it would be created, is writable by ${whom} ${mode}: another account could create it first`;
  const unguarded = (last.mode & STICKY) === 0 ? "not sticky" : kernelGuards(last, kernel);
  if (unguarded === undefined) return undefined;
  return `${last.path} is writable by ${whom} ${mode} and ${unguarded}: another account could plant links where the program writes`;
}

/** What makes this directory unsafe to write into, in one phrase; undefined when it is safe. */
export function unsafeDirectory(chain: PathChain, serviceUid: number, kernel: KernelProtections): string | undefined {
  for (const step of chain.steps) {
    const problem = stepProblem(step, chain, serviceUid);
    if (problem !== undefined) return problem;
  }
  // Nothing can be written below a file: the first write says so, as it always did.
  return chain.last.type === "other" ? undefined : lastProblem(chain, kernel);
}
