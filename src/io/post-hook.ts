// Runs the post_hook through /bin/sh -c, as certbot runs its deploy hooks: in its own process
// group (so a timeout kills whatever it started), with an environment built from scratch (the
// inventario password and the key are in the configuration, not the environment, and nothing
// else of ours is passed on), its output kept up to a bound for the log.
import { spawn, type ChildProcess } from "node:child_process";
import { HOOK_NAME, type HookCall } from "../core/post-hook.js";
import { describe } from "../errors.js";

/** Variables of our own environment a hook may need (rsync and ssh want HOME and PATH). */
const PASSED_ON = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/** Of each stream, the last this many bytes go to the log. */
export const HOOK_OUTPUT_LIMIT = 16 * 1024;

export interface HookOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
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

export function runHook(command: string, call: HookCall, options: HookOptions): Promise<HookResult> {
  const env: Record<string, string> = {};
  for (const name of PASSED_ON) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, call.env);
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
    child = spawn("/bin/sh", ["-c", command, HOOK_NAME, ...call.args], {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    return Promise.resolve(result(`could not be started: ${describe(error)}`));
  }
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
      // A process that left the group may still hold the pipes open: stop waiting for them.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, options.timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => stdout.add(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.add(chunk));
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve(result(`could not be started: ${describe(error)}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve(result(`timed out after ${options.timeoutMs / 1000} s and was killed`));
      else if (signal !== null) resolve(result(`was killed by ${signal}`));
      else resolve(result(code === 0 ? undefined : `exited with status ${code}`));
    });
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
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
