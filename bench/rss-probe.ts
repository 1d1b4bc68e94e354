// Preloaded into the measured program (`node --require build/bench/rss-probe.js dist/index.js`):
// when the process exits it writes its own high-water resident set (VmHWM, which covers every
// thread, workers included) and CPU times to the file named by LEASEGEN_BENCH_PROBE_FILE. This
// catches a peak reached after the bench's last poll of /proc/<pid>/status.
import { readFileSync, writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";
import { statusKb } from "./proc-status.js";

export interface ProbeReport {
  /** VmHWM in kB. */
  readonly hwmKb: number;
  /** User and system CPU time of the whole process, all threads, in microseconds. */
  readonly userMicros: number;
  readonly systemMicros: number;
}

const file = process.env.LEASEGEN_BENCH_PROBE_FILE;
if (isMainThread && file) {
  process.on("exit", () => {
    try {
      const usage = process.resourceUsage();
      const hwmKb = statusKb(readFileSync("/proc/self/status", "utf8"), "VmHWM") ?? usage.maxRSS;
      const report: ProbeReport = { hwmKb, userMicros: usage.userCPUTime, systemMicros: usage.systemCPUTime };
      writeFileSync(file, JSON.stringify(report));
    } catch {
      // the bench falls back to its polled figure
    }
  });
}
