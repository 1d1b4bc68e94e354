// What a run did, school by school, and the exit status that follows (SPEC §7).
import type { RegenerateReason } from "./school-plan.js";
import { ExitCode } from "../errors.js";
import { nameInMessage } from "./log-line.js";

export type SchoolOutcome =
  | {
      readonly status: "regenerated";
      readonly hostname: string;
      readonly reason: RegenerateReason;
      readonly laptops: number;
      /** New leases. */
      readonly signed: number;
      /** Leases kept byte for byte from the school's file. */
      readonly kept: number;
      /** Laptop files written (the others kept their bytes, inode and time). */
      readonly laptopFiles: number;
      /** Whether its by-school file was rewritten (it is only when one of its lines changed). */
      readonly schoolFileWritten: boolean;
      readonly expiry: string;
      readonly ms: number;
    }
  | {
      readonly status: "would regenerate";
      readonly hostname: string;
      readonly reason: RegenerateReason;
      readonly laptops: number;
      /** Leases that would be signed, and kept. */
      readonly signed: number;
      readonly kept: number;
      readonly expiry: string;
      readonly ms: number;
    }
  | {
      readonly status: "up to date";
      readonly hostname: string;
      readonly laptops: number;
      /** Listed laptops that get no lease (malformed), told in detail when the school is signed. */
      readonly skipped?: number | undefined;
      readonly ms: number;
    }
  | {
      readonly status: "failed";
      readonly hostname: string;
      readonly error: string;
      readonly ms: number;
      readonly stack?: string | undefined;
      /** Held back by a guard (max_shrink_percent) until --force, rather than broken. */
      readonly held?: boolean | undefined;
      /** Leases signed for the laptops added to a held school: its files changed. */
      readonly signed?: number | undefined;
      /** A step of the run rather than a school (the sweep, the school list): `hostname` names it in parentheses. */
      readonly step?: boolean | undefined;
    };

export interface RunReport {
  /** A dry run: "regenerated" means "would be regenerated", and nothing was written. */
  readonly dryRun: boolean;
  readonly schools: readonly SchoolOutcome[];
  /** Why the stolen list could not be fetched; the previous one was used. */
  readonly stolenError?: string | undefined;
  /** Schools no longer listed by inventario whose files were removed (or would be). */
  readonly removedSchools: readonly string[];
  /** Whether stolen.csv / stolen.list were rewritten. */
  readonly stolenChanged?: boolean | undefined;
  /** Stopped by a signal: `schools` holds only the schools it finished, and nothing was swept or removed. */
  readonly interrupted?: boolean | undefined;
  readonly seconds: number;
}

/** A school's log line: `a.example: regenerated (list changed): 812 laptops, 3 signed, 809 kept`. */
export function outcomeMessage(outcome: SchoolOutcome): string {
  if (outcome.status === "failed") return outcome.error;
  const name = nameInMessage(outcome.hostname);
  if (outcome.status === "up to date") return `${name}: up to date`;
  const counts = `${outcome.laptops} laptops, ${outcome.signed} signed, ${outcome.kept} kept`;
  return `${name}: ${outcome.status} (${outcome.reason}): ${counts}`;
}

export interface Summary {
  readonly regenerated: number;
  readonly upToDate: number;
  readonly failed: number;
  readonly leasesSigned: number;
}

export function summarize(report: RunReport): Summary {
  const count = (status: SchoolOutcome["status"]): number => report.schools.filter((school) => school.status === status).length;
  const leasesSigned = report.schools.reduce((sum, school) => sum + signedBy(school), 0);
  return {
    regenerated: count("regenerated") + count("would regenerate"),
    upToDate: count("up to date"),
    failed: count("failed"),
    leasesSigned,
  };
}

/** 0 all done; 3 something failed; 4 nothing at all could be done. */
export function exitCodeOf(report: RunReport): ExitCode {
  const { failed } = summarize(report);
  const anyFailure = failed > 0 || report.stolenError !== undefined;
  if (!anyFailure) return ExitCode.Ok;
  const nothingDone = report.stolenError !== undefined && failed === report.schools.length;
  return nothingDone ? ExitCode.NothingDone : ExitCode.SomeFailed;
}

/** Leases a school's outcome signed: a regenerated school's, and those added to a held one. */
export function signedBy(school: SchoolOutcome): number {
  return school.status === "regenerated" || school.status === "failed" ? (school.signed ?? 0) : 0;
}

/** Whether a school's file changed in the run: rewritten when regenerated, or held with laptops added. */
export function schoolChanged(school: SchoolOutcome): boolean {
  return school.status === "regenerated" ? school.schoolFileWritten : school.status === "failed" && (school.signed ?? 0) > 0;
}

export function summaryLine(report: RunReport): string {
  const s = summarize(report);
  const removed = report.removedSchools.length > 0 ? `, ${report.removedSchools.length} removed` : "";
  const stolen = report.stolenError === undefined ? "" : ", stolen list failed";
  const took = `in ${report.seconds.toFixed(1)} s`;
  const counts = `${s.upToDate} up to date, ${s.failed} failed${removed}${stolen}`;
  if (report.dryRun)
    return `dry run, nothing written: would regenerate ${s.regenerated} ${plural(s.regenerated, "school")}, ${counts}; ${took}`;
  return `${s.regenerated} ${plural(s.regenerated, "school")} regenerated, ${counts}; ${s.leasesSigned} leases signed ${took}`;
}

function plural(count: number, noun: string): string {
  return count === 1 ? noun : `${noun}s`;
}
