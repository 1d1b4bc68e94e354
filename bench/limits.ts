// The machine's limits together: every lease costs one signature and one durable file replace,
// so the rate no program writing one file per laptop can beat on these threads is
// 1 / (1/signing limit + 1/write limit). `ratio_to_limit` divides by that. Also what the program's
// writer (atomic-file.ts's synchronous form, on its writer threads) costs beyond the bare replace.
import type { Limit } from "./limit.js";
import type { Row } from "./report.js";
import { fixed } from "./report.js";
import type { WriteLimit, WriterCost } from "./write-limit.js";

export interface Limits {
  readonly signing: Limit;
  readonly write: WriteLimit;
  /** 1 / (1/signing + 1/write): one signature and one bare replace per lease. */
  readonly combinedPerSecond: number;
}

export function combineLimits(signing: Limit, write: WriteLimit): Limits {
  return { signing, write, combinedPerSecond: 1 / (1 / signing.perSecond + 1 / write.bare.perSecond) };
}

const us = (seconds: number): string => `${Math.round(seconds)} µs`;
const signed = (value: number): string => `${value >= 0 ? "+" : "−"}${Math.round(Math.abs(value))}`;
const rest = (cores: number | undefined): string => (cores === undefined ? "" : `; rest of the machine ${cores.toFixed(2)} cores`);

/** The program's writer: its rate, wall µs per file per thread and CPU µs per file, and how it compares with the bare replace. */
function writerNote(cost: WriterCost, bare: WriterCost): string {
  const beyond = `beyond the bare replace: ${signed(cost.microsPerFile - bare.microsPerFile)} µs, ${signed(cost.cpuMicrosPerFile - bare.cpuMicrosPerFile)} µs CPU`;
  return `${cost.perSecond.toFixed(1)}/s   (the program's writer, synchronous, the same threads: ${us(cost.microsPerFile)}/file/thread, ${us(cost.cpuMicrosPerFile)} CPU/file; ${beyond})`;
}

/** The limit rows of the table's summary, leases_per_s and ratio_to_limit among them. */
export function limitRows(limits: Limits, leasesPerSecond: number): Row[] {
  const { signing, write } = limits;
  const got = (share: number | undefined, what: string): string =>
    share === undefined ? "" : `; each thread ${what} ${Math.round(share * 100)}% of a core`;
  const perCpuSecond =
    signing.cpuSecondsPerSignature === undefined ? "" : `, ${(1 / signing.cpuSecondsPerSignature).toFixed(1)} per CPU-second`;
  return [
    [
      "limit_per_s",
      signing.perSecond.toFixed(1),
      `(${signing.threads} threads signing: ${signing.perThread.map((rate) => rate.toFixed(1)).join(" + ")}` +
        `${got(signing.coreShare, "got")}${perCpuSecond}${rest(signing.restCores)})`,
    ],
    [
      "write_limit_per_s",
      write.bare.perSecond.toFixed(1),
      `(${write.threads} threads, one bare durable replace at a time each: ${us(write.bare.microsPerFile)}/file/thread, ` +
        `${us(write.bare.cpuMicrosPerFile)} CPU/file${got(write.bare.threadCoreShare, "used")}, waiting on the disk the rest${rest(write.restCores)})`,
    ],
    ["combined_limit_per_s", limits.combinedPerSecond.toFixed(1), "(1 / (1/limit + 1/write_limit))"],
    ["leases_per_s", leasesPerSecond.toFixed(1)],
    ["ratio_to_limit", (leasesPerSecond / limits.combinedPerSecond).toFixed(3), "target >= 0.75 (of the combined limit)"],
    ["writer (program)", writerNote(write.program, write.bare)],
  ];
}

/** The same, for the JSON line. */
export function limitFigures(limits: Limits, leasesPerSecond: number): Record<string, number> {
  const { signing, write } = limits;
  return {
    limit_per_s: fixed(signing.perSecond, 1),
    write_limit_per_s: fixed(write.bare.perSecond, 1),
    combined_limit_per_s: fixed(limits.combinedPerSecond, 1),
    leases_per_s: fixed(leasesPerSecond, 1),
    ratio_to_limit: fixed(leasesPerSecond / limits.combinedPerSecond, 3),
    bare_write_cpu_us: fixed(write.bare.cpuMicrosPerFile, 0),
    writer_overhead_us: fixed(write.program.microsPerFile - write.bare.microsPerFile, 0),
    writer_overhead_cpu_us: fixed(write.program.cpuMicrosPerFile - write.bare.cpuMicrosPerFile, 0),
  };
}
