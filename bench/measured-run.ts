// One run of the built bundle as a child process, timed from spawn to exit, with its peak
// resident set measured two ways: the bench polls VmHWM in /proc/<pid>/status every 20 ms
// (the kernel's high-water mark of the whole process, worker threads included, so a poll
// never misses a spike between polls, only growth after the last one), and the rss-probe
// preload writes the final VmHWM and the CPU times at exit. The larger figure is reported.
// The same poll follows the main thread's CPU time, and /proc/stat before and after gives how
// busy the whole machine was: other load on a shared machine shows up there, not as a slow run.
// The bundle is started as the installed launcher starts it, with its V8 option.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { BUNDLE, ROOT } from "../test/support/harness.js";
import { readMachine } from "./machine-load.js";
import { statusKb, threadCpuSeconds } from "./proc-status.js";
import type { ProbeReport } from "./rss-probe.js";

const POLL_MS = 20;
const PROBE = join(__dirname, "rss-probe.js");
const LAUNCHER = join(ROOT, "packaging", "inventario-leasegen.sh");

/** The `node_option=` line of the launcher: what the program runs with once installed. */
export function launcherNodeOption(launcherText: string): string {
  const option = /^node_option=(-\S+)$/m.exec(launcherText)?.[1];
  if (option === undefined) throw new Error(`${LAUNCHER} has no node_option= line`);
  return option;
}

export interface MeasuredRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly wallSeconds: number;
  /** Epoch milliseconds of the spawn and of the exit, to place the log's lines in the run. */
  readonly spawnedAt: number;
  readonly exitedAt: number;
  readonly peakRssMb: number;
  /** User + system CPU seconds of the whole process (undefined if the probe wrote nothing). */
  readonly cpuSeconds: number | undefined;
  /** CPU seconds of the main thread alone, as of the last poll. */
  readonly mainThreadCpuSeconds: number | undefined;
  /** CPU seconds of each other thread as of the last poll, busiest first (the signing workers lead in a full run). */
  readonly otherThreadsCpuSeconds: readonly number[];
  /** CPU seconds all processes of the machine used during the run (this one, the bench's inventario, anything else). */
  readonly machineBusySeconds: number | undefined;
}

/** Children still running, so that an interrupted bench can stop them. */
export const liveChildren = new Set<ChildProcess>();

/**
 * `wrapper` is a command that starts node (`faketime -f +8d`): its own process is then the one
 * polled, so only the probe's figures (peak RSS, CPU of the whole program) are the program's.
 */
export async function runMeasured(
  args: readonly string[],
  probeFile: string,
  nodeArgs: readonly string[] = [],
  wrapper: readonly string[] = [],
): Promise<MeasuredRun> {
  await rm(probeFile, { force: true });
  const env = { ...process.env, LEASEGEN_BENCH_PROBE_FILE: probeFile };
  const machineBefore = readMachine();
  const spawnedAt = Date.now();
  const started = performance.now();
  const launched = [launcherNodeOption(readFileSync(LAUNCHER, "utf8")), ...nodeArgs, "--require", PROBE, BUNDLE];
  const [command, ...commandArgs] = [...wrapper, process.execPath, ...launched, ...args] as [string, ...string[]];
  const child = spawn(command, commandArgs, { env, stdio: ["ignore", "ignore", "pipe"] });
  liveChildren.add(child);
  let polledKb = 0;
  const threadCpu = new Map<string, number>();
  const poll = (): void => {
    try {
      polledKb = Math.max(polledKb, statusKb(readFileSync(`/proc/${child.pid}/status`, "utf8"), "VmHWM") ?? 0);
      for (const tid of readdirSync(`/proc/${child.pid}/task`)) {
        const seconds = threadCpuSeconds(readFileSync(`/proc/${child.pid}/task/${tid}/stat`, "utf8"));
        if (seconds !== undefined) threadCpu.set(tid, seconds);
      }
    } catch {
      // not started yet, or already gone (or a thread ended between the listing and the read)
    }
  };
  const timer = setInterval(poll, POLL_MS);
  let machineAfter: { busy: number; total: number } | undefined;
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const { code, signal, wallSeconds } = await new Promise<Pick<MeasuredRun, "code" | "signal" | "wallSeconds">>((resolve, reject) => {
    let wallSeconds = 0;
    child.on("error", reject);
    child.on("exit", () => (wallSeconds = (performance.now() - started) / 1000));
    child.on("close", (code, signal) => resolve({ code, signal, wallSeconds }));
  }).finally(() => {
    clearInterval(timer);
    machineAfter = readMachine();
    liveChildren.delete(child);
  });
  const probe = await readFile(probeFile, "utf8")
    .then((text) => JSON.parse(text) as ProbeReport)
    .catch(() => undefined);
  const peakKb = Math.max(polledKb, probe?.hwmKb ?? 0);
  const cpuSeconds = probe ? (probe.userMicros + probe.systemMicros) / 1e6 : undefined;
  const exitedAt = spawnedAt + wallSeconds * 1000;
  const machineBusySeconds = machineBefore && machineAfter ? machineAfter.busy - machineBefore.busy : undefined;
  const mainThreadCpuSeconds = threadCpu.get(String(child.pid));
  threadCpu.delete(String(child.pid));
  const otherThreadsCpuSeconds = [...threadCpu.values()].sort((a, b) => b - a);
  return {
    code,
    signal,
    stderr,
    wallSeconds,
    spawnedAt,
    exitedAt,
    peakRssMb: peakKb / 1024,
    cpuSeconds,
    mainThreadCpuSeconds,
    otherThreadsCpuSeconds,
    machineBusySeconds,
  };
}
