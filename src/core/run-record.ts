// What the runs leave for `status`, `status --check` and the metrics: the last run, the last
// successful one, and each school's outcome at the last run that looked at it; a run limited to
// some schools, or interrupted, keeps the others'. So a school that failed stays failed until a
// run succeeds for it, whichever runs came between. Kept in `state_dir/run-record.json`
// (run-record-file.ts).
import { byteOrder, parseHostname, type Hostname } from "./domain.js";
import { summarize, type RunReport, type SchoolOutcome } from "./report.js";

export type RecordedOutcome = "regenerated" | "up to date" | "failed" | "held";

export interface SchoolRecord {
  readonly outcome: RecordedOutcome;
  /** Why it was regenerated, failed or held; undefined when up to date. */
  readonly reason?: string | undefined;
  /** When the run that looked at the school started. */
  readonly at: Date;
}

/** A failure that is no school's: a hostname inventario sent that was refused, leases_dir, the school list. */
export interface OtherFailure {
  readonly name: string;
  readonly outcome: "failed" | "held";
  readonly reason: string;
}

export interface LastRun {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly exitCode: number;
  /** The HOST arguments of a limited run; undefined for a run over every school inventario lists. */
  readonly hostnames?: readonly string[] | undefined;
  readonly force: boolean;
  /** The counts of the log's summary line: `failed` includes the held schools, as there. */
  readonly regenerated: number;
  readonly upToDate: number;
  readonly failed: number;
  readonly held: number;
  readonly leasesSigned: number;
  readonly removedSchools: number;
  readonly stolenListFailed: boolean;
  /** What went wrong with the stolen list: not fetched, held by the shrink guard, not written. */
  readonly stolenListError?: string | undefined;
  /** Why the run ended before its schools (exit 4), or that a signal interrupted it. */
  readonly error?: string | undefined;
  readonly otherFailures: readonly OtherFailure[];
}

export interface RunRecord {
  readonly lastRun?: LastRun | undefined;
  /** When the last run over every school (no HOST argument) that ended with exit status 0 or 3 finished. */
  readonly lastSuccessAt?: Date | undefined;
  /** When inventario last gave the stolen list (it is rewritten only when it changes). */
  readonly stolenListFetchedAt?: Date | undefined;
  /** The schools inventario listed at the last run over every school. */
  readonly listed?: { readonly at: Date; readonly hostnames: readonly Hostname[] } | undefined;
  readonly schools: ReadonlyMap<Hostname, SchoolRecord>;
  /**
   * Failures that are no school's still standing: those of the last run over every school (the
   * only kind that sees the school list), and of the runs limited to some schools since.
   * Undefined in a record written before there was this field: the last run's are taken.
   */
  readonly otherFailures?: readonly OtherFailure[] | undefined;
}

export const EMPTY_RUN_RECORD: RunRecord = { schools: new Map() };

/** A run as the command saw it end; `report` is undefined when it ended before its schools. */
export interface FinishedRun {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly exitCode: number;
  readonly hostnames?: readonly string[] | undefined;
  readonly force: boolean;
  readonly report?: RunReport | undefined;
  readonly error?: string | undefined;
}

/** The record after this run: its own outcomes over the previous ones. */
export function nextRunRecord(previous: RunRecord, run: FinishedRun): RunRecord {
  // An interrupted run looked at some schools only, as a limited one does.
  const complete = run.hostnames === undefined && run.report?.interrupted !== true;
  const successful = complete && (run.exitCode === 0 || run.exitCode === 3);
  const { report } = run;
  if (report === undefined) {
    return { ...previous, lastRun: lastRunOf(run, new Map(), []), lastSuccessAt: successful ? run.finishedAt : previous.lastSuccessAt };
  }
  const outcomes = new Map<Hostname, SchoolRecord>();
  const others: OtherFailure[] = [];
  for (const school of report.schools) {
    const recorded = recordedOutcome(school, run.startedAt);
    if (recorded === undefined) continue;
    const hostname = parseHostname(school.hostname);
    if (hostname.ok && !(school.status === "failed" && school.step)) outcomes.set(hostname.value, recorded);
    else others.push({ name: school.hostname, outcome: recorded.outcome === "held" ? "held" : "failed", reason: recorded.reason ?? "" });
  }
  // A run over every school looked at each one inventario lists; the others are gone from it.
  const schools = complete ? outcomes : new Map([...previous.schools, ...outcomes]);
  for (const hostname of report.removedSchools) schools.delete(hostname as Hostname);
  const earlierOthers = complete ? [] : (previous.otherFailures ?? previous.lastRun?.otherFailures ?? []);
  return {
    lastRun: lastRunOf(run, outcomes, others),
    lastSuccessAt: successful ? run.finishedAt : previous.lastSuccessAt,
    stolenListFetchedAt: report.stolenError === undefined ? run.startedAt : previous.stolenListFetchedAt,
    listed: complete ? { at: run.startedAt, hostnames: [...outcomes.keys()].sort(byteOrder) } : previous.listed,
    schools,
    otherFailures: [...earlierOthers.filter((earlier) => !others.some((other) => other.name === earlier.name)), ...others],
  };
}

function recordedOutcome(school: SchoolOutcome, at: Date): SchoolRecord | undefined {
  switch (school.status) {
    case "regenerated":
      return { outcome: "regenerated", reason: school.reason, at };
    case "up to date":
      return { outcome: "up to date", reason: undefined, at };
    case "failed":
      return { outcome: school.held ? "held" : "failed", reason: school.error, at };
    case "would regenerate":
      return undefined;
  }
}

function lastRunOf(run: FinishedRun, outcomes: ReadonlyMap<Hostname, SchoolRecord>, others: readonly OtherFailure[]): LastRun {
  const counts = run.report ? summarize(run.report) : { regenerated: 0, upToDate: 0, failed: 0, leasesSigned: 0 };
  const held = [...outcomes.values()].filter((school) => school.outcome === "held").length;
  return {
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    exitCode: run.exitCode,
    hostnames: run.hostnames,
    force: run.force,
    regenerated: counts.regenerated,
    upToDate: counts.upToDate,
    failed: counts.failed,
    held: held + others.filter((other) => other.outcome === "held").length,
    leasesSigned: counts.leasesSigned,
    removedSchools: run.report?.removedSchools.length ?? 0,
    stolenListFailed: run.report?.stolenError !== undefined,
    stolenListError: run.report?.stolenError,
    error: run.error,
    otherFailures: others,
  };
}
