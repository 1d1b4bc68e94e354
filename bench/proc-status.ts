// Reading /proc/<pid>/status, the kernel's account of a process's memory.

/** A `kB` field of a /proc/<pid>/status text (VmHWM, VmRSS…), or undefined if absent. */
export function statusKb(statusText: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(statusText);
  return match ? Number(match[1]) : undefined;
}
