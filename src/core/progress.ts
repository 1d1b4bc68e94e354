// The progress of a run, as a terminal shows it in one self-updating line (issue 8 §5): schools
// done of total, leases signed, the rate, and the time left. The run reports a RunProgress
// after each school; the line is rendered from it and the time elapsed, nothing else.
import { signedBy, type SchoolOutcome } from "./report.js";

export interface RunProgress {
  readonly schoolsDone: number;
  readonly schoolsTotal: number;
  readonly leasesSigned: number;
}

export function startProgress(schoolsTotal: number): RunProgress {
  return { schoolsDone: 0, schoolsTotal, leasesSigned: 0 };
}

export function progressAfter(progress: RunProgress, outcome: SchoolOutcome): RunProgress {
  return { ...progress, schoolsDone: progress.schoolsDone + 1, leasesSigned: progress.leasesSigned + signedBy(outcome) };
}

const grouped = (count: number): string => String(Math.round(count)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");

function duration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The line itself, e.g. `120/250 schools, 24,000 leases signed, 1,950/s, about 1 min 5 s left`. */
export function progressLine(progress: RunProgress, elapsedSeconds: number): string {
  const { schoolsDone, schoolsTotal, leasesSigned } = progress;
  const parts = [`${grouped(schoolsDone)}/${grouped(schoolsTotal)} schools`, `${grouped(leasesSigned)} leases signed`];
  // Within the first second, a rate and an estimate would only be noise.
  if (elapsedSeconds < 1) return parts.join(", ");
  if (leasesSigned > 0) parts.push(`${grouped(leasesSigned / elapsedSeconds)}/s`);
  // Schools, not leases, measure what is left: how many leases the rest hold is not known yet.
  if (schoolsDone > 0 && schoolsDone < schoolsTotal)
    parts.push(`about ${duration((elapsedSeconds * (schoolsTotal - schoolsDone)) / schoolsDone)} left`);
  return parts.join(", ");
}
