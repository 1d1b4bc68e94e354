// How busy the rest of the machine was while this process measured something: on a shared
// machine a limit measured under load is a lower bound, and the report says how much load.
import { readFileSync } from "node:fs";
import { machineCpuSeconds } from "./proc-status.js";

/** Busy and total CPU seconds of the whole machine so far (undefined off Linux). */
export function readMachine(): { busy: number; total: number } | undefined {
  try {
    return machineCpuSeconds(readFileSync("/proc/stat", "utf8"));
  } catch {
    return undefined;
  }
}

export interface Load {
  readonly wallSeconds: number;
  /** CPU seconds of this process, all its threads (libuv's pool too). */
  readonly cpuSeconds: number;
  /** Cores the other processes kept busy on average meanwhile. */
  readonly restCores: number | undefined;
}

/** Starts watching; the returned function gives the load since then. */
export function watchLoad(): () => Load {
  const machineBefore = readMachine();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  return () => {
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const machineAfter = readMachine();
    const restCores =
      machineBefore && machineAfter ? Math.max(0, machineAfter.busy - machineBefore.busy - cpuSeconds) / wallSeconds : undefined;
    return { wallSeconds, cpuSeconds, restCores };
  };
}
