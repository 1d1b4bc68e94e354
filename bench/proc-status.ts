// Reading /proc/<pid>/status, the kernel's account of a process's memory.

/** A `kB` field of a /proc/<pid>/status text (VmHWM, VmRSS…), or undefined if absent. */
export function statusKb(statusText: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(statusText);
  return match ? Number(match[1]) : undefined;
}

/** Linux's USER_HZ: the unit of the CPU times in /proc/stat and /proc/<pid>/task/<tid>/stat. */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of one thread from its /proc/<pid>/task/<tid>/stat text. */
export function threadCpuSeconds(statText: string): number | undefined {
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const fields = statText.slice(statText.lastIndexOf(")") + 2).split(" ");
  const [utime, stime] = [fields[11], fields[12]].map(Number);
  return utime === undefined || stime === undefined || Number.isNaN(utime + stime) ? undefined : (utime + stime) / TICKS_PER_SECOND;
}

/** Busy and total CPU seconds of the whole machine so far, all cores, from /proc/stat's first line. */
export function machineCpuSeconds(procStatText: string): { busy: number; total: number } | undefined {
  const line = procStatText.split("\n", 1)[0] ?? "";
  if (!line.startsWith("cpu ")) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy: busy / TICKS_PER_SECOND, total: (busy + (idle ?? 0) + (iowait ?? 0)) / TICKS_PER_SECOND };
}
