// Runs the post_hook through /bin/sh -c, as certbot runs its deploy hooks: in its own process
// group (so a timeout or an interrupted run kills whatever it started), with an environment
// built from scratch (the inventario password and the key are in the configuration, not the
// environment, and nothing else of ours is passed on), its output kept up to a bound for the log.
// The hostnames go on its standard input and in files of a private scratch directory in
// state_dir, removed once it has ended.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CHANGED_FILE_VARIABLE, HOOK_NAME, REMOVED_FILE_VARIABLE, nameLines, type HookCall } from "../core/post-hook.js";
import { describe } from "../errors.js";
import { makeScratchDir, removeScratchDir, removeScratchLeftovers } from "./scratch-dir.js";

/** Variables of our own environment a hook may need (rsync and ssh want HOME and PATH). */
const PASSED_ON = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** Of each stream, the last this many bytes go to the log. */
export const HOOK_OUTPUT_LIMIT = 16 * 1024;

/** How long a stopped hook has between SIGTERM (rsync removes its partial files) and SIGKILL. */
export const HOOK_STOP_GRACE_MS = 3000;

const SCRATCH_PREFIX = ".post-hook-";

export interface HookOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Where the files of hostnames go: state_dir. */
  readonly scratchParent: string;
  /** The run's interruption: once aborted (its reason names the signal), the hook is stopped, or not started. */
  readonly stop?: AbortSignal | undefined;
}

export interface HookResult {
  /** Why the hook failed (did not start, exited non-zero, was killed); undefined if it succeeded. */
  readonly failure: string | undefined;
  /** The end of its stdout and stderr, at most HOOK_OUTPUT_LIMIT bytes each. */
  readonly stdout: string;
  readonly stderr: string;
  /** Bytes of output left out of the log. */
  readonly dropped: number;
}

export async function runHook(command: string, call: HookCall, options: HookOptions): Promise<HookResult> {
  const notStarted = (why: string): HookResult => ({ failure: `could not be started: ${why}`, stdout: "", stderr: "", dropped: 0 });
  if (options.stop?.aborted) return notStarted(`the run was interrupted by ${String(options.stop.reason)}`);
  let scratch: string;
  const changed = nameLines(call.changed);
  try {
    await removeScratchLeftovers(options.scratchParent, SCRATCH_PREFIX);
    scratch = await makeScratchDir(options.scratchParent, SCRATCH_PREFIX);
  } catch (error) {
    return notStarted(`cannot make a private directory for the lists of schools in ${options.scratchParent}: ${describe(error)}`);
  }
  try {
    const files = { [CHANGED_FILE_VARIABLE]: join(scratch, "changed-schools"), [REMOVED_FILE_VARIABLE]: join(scratch, "removed-schools") };
    try {
      await writeFile(files[CHANGED_FILE_VARIABLE], changed, { mode: 0o600, flag: "wx" });
      await writeFile(files[REMOVED_FILE_VARIABLE], nameLines(call.removed), { mode: 0o600, flag: "wx" });
    } catch (error) {
      return notStarted(`cannot write the lists of schools: ${describe(error)}`);
    }
    const env: Record<string, string> = {};
    for (const name of PASSED_ON) if (process.env[name] !== undefined) env[name] = process.env[name];
    return await runShell(command, { ...env, ...call.env, ...files }, changed, options);
  } finally {
    await removeScratchDir(scratch);
  }
}

/** Runs the command with `input` on its standard input, until it ends, times out or is stopped. */
function runShell(command: string, env: Record<string, string>, input: string, options: HookOptions): Promise<HookResult> {
  const stdout = new OutputTail();
  const stderr = new OutputTail();
  const result = (failure: string | undefined): HookResult => ({
    failure,
    stdout: stdout.text(),
    stderr: stderr.text(),
    dropped: stdout.dropped + stderr.dropped,
  });
  let child: ChildProcess;
  try {
    child = spawn("/bin/sh", ["-c", command, HOOK_NAME], { cwd: options.cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  } catch (error) {
    return Promise.resolve(result(`could not be started: ${describe(error)}`));
  }
  // A hook need not read its input: the write then fails with EPIPE when it exits, which is no error.
  child.stdin?.on("error", () => undefined);
  child.stdin?.end(input);
  return new Promise((resolve) => {
    let ended: string | undefined;
    let forceTimer: NodeJS.Timeout | undefined;
    const end = (why: string, first: NodeJS.Signals): void => {
      if (ended !== undefined) return;
      ended = why;
      signalGroup(child, first);
      // A process that left the group may still hold the pipes open: stop waiting for them.
      const force = (): void => {
        signalGroup(child, "SIGKILL");
        child.stdout?.destroy();
        child.stderr?.destroy();
      };
      if (first === "SIGKILL") force();
      else forceTimer = setTimeout(force, HOOK_STOP_GRACE_MS);
    };
    const timer = setTimeout(() => end(`timed out after ${options.timeoutMs / 1000} s and was killed`, "SIGKILL"), options.timeoutMs);
    const onStop = (): void => end(`was stopped: the run was interrupted by ${String(options.stop?.reason)}`, "SIGTERM");
    options.stop?.addEventListener("abort", onStop, { once: true });
    if (options.stop?.aborted) onStop(); // interrupted while the lists were written
    const settle = (failure: string | undefined): void => {
      clearTimeout(timer);
      clearTimeout(forceTimer);
      // A stopped hook's group goes entirely, even what outlived its shell or ignored SIGTERM.
      if (ended !== undefined) signalGroup(child, "SIGKILL");
      options.stop?.removeEventListener("abort", onStop);
      resolve(result(failure));
    };
    child.stdout?.on("data", (chunk: Buffer) => stdout.add(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.add(chunk));
    child.on("error", (error) => settle(`could not be started: ${describe(error)}`));
    child.on("close", (code, signal) => {
      if (ended !== undefined) settle(ended);
      else if (signal !== null) settle(`was killed by ${signal}`);
      else settle(code === 0 ? undefined : `exited with status ${code}`);
    });
  });
}

/**
 * Signals the hook's whole process group (its pid is the group's id: it was started detached),
 * including what its shell left running when it exited: the group's id cannot be reused while
 * any of it lives.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}

/** The last HOOK_OUTPUT_LIMIT bytes of a stream, and how many came before them. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;

  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > 2 * HOOK_OUTPUT_LIMIT) this.trim();
  }

  text(): string {
    this.trim();
    return Buffer.concat(this.chunks).toString("utf8");
  }

  private trim(): void {
    if (this.size <= HOOK_OUTPUT_LIMIT) return;
    const all = Buffer.concat(this.chunks);
    this.dropped += all.length - HOOK_OUTPUT_LIMIT;
    this.chunks = [all.subarray(all.length - HOOK_OUTPUT_LIMIT)];
    this.size = HOOK_OUTPUT_LIMIT;
  }
}
