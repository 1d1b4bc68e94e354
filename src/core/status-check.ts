// `status --check`: the deployment's state as one Monitoring Plugins line
// (`LEASEGEN OK - … | perfdata`) and exit status, so Nagios, Icinga, Zabbix or Sensu run it as is.
// CRITICAL: a school's earliest lease expires within `criticalDays`, a school listed at the last
// run over every school has no school file, or no run over every school ended with exit 0 or 3
// within `maxAgeHours`. WARNING: an expiry within `warningDays`, a school whose last outcome is a
// failure (whichever run it was), a last run that could not do its work or was interrupted, or a
// run that has held the lock for more than `maxRunHours` (or `maxAgeHours`).
// UNKNOWN: the records cannot be read.
import { CLOCK_SKEW_SECONDS } from "./school-plan.js";
import type { DeploymentStatus, SchoolStatus } from "./deployment-status.js";
import { printable, relativeTime, shortTime } from "./status-output.js";

export const CheckState = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
export type CheckState = (typeof CheckState)[keyof typeof CheckState];

export interface Thresholds {
  readonly warningDays: number;
  readonly criticalDays: number;
  readonly maxAgeHours: number;
  /** A run that holds the lock longer is suspicious: a hook, make-lease.sh or inventario hanging. */
  readonly maxRunHours: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { warningDays: 7, criticalDays: 3, maxAgeHours: 24, maxRunHours: 1 };

export interface CheckResult {
  readonly state: CheckState;
  readonly line: string;
}

/** How many schools a message names before `and N more`. */
const FIRST_FEW = 3;

const NAMES = ["OK", "WARNING", "CRITICAL", "UNKNOWN"] as const;

function checkLine(state: CheckState, text: string, perfdata: readonly string[] = []): CheckResult {
  const data = perfdata.length > 0 ? ` | ${perfdata.join(" ")}` : "";
  return { state, line: `LEASEGEN ${NAMES[state]} - ${text}${data}\n` };
}

/** Bad options, an unreadable configuration: the plugin cannot tell. */
export function unknownCheck(why: string): CheckResult {
  return checkLine(CheckState.UNKNOWN, printable(why));
}

export function checkStatus(status: DeploymentStatus, thresholds: Thresholds): CheckResult {
  const { problems } = status;
  if (problems.length > 0) {
    const more = problems.length > 1 ? `; and ${problems.length - 1} more` : "";
    const first = problems[0] as (typeof problems)[number];
    return unknownCheck(`cannot read ${first.file}: ${first.error}${more}`);
  }
  const critical = [
    ...expiring(status.schools, -Infinity, thresholds.criticalDays),
    ...withoutSchoolFile(status.schools),
    ...staleRuns(status, thresholds),
  ];
  const warning = [
    ...expiring(status.schools, thresholds.criticalDays, thresholds.warningDays),
    ...standingFailures(status),
    ...lastRunTrouble(status),
    ...longRun(status, thresholds),
  ];
  const state = critical.length > 0 ? CheckState.CRITICAL : warning.length > 0 ? CheckState.WARNING : CheckState.OK;
  const text = state === CheckState.OK ? healthy(status) : [...critical, ...warning].join("; ");
  return checkLine(state, printable(text), perfdata(status, thresholds));
}

function firstFew(names: readonly string[]): string {
  const more = names.length > FIRST_FEW ? ` and ${names.length - FIRST_FEW} more` : "";
  return names.slice(0, FIRST_FEW).join(", ") + more;
}

const daysText = (days: number): string => (days < 0 ? "expired" : `${days.toFixed(1)} days`);

/** Schools whose earliest lease expires in more than `from` and at most `to` days (most urgent first). */
function expiring(schools: readonly SchoolStatus[], from: number, to: number): string[] {
  const hits = schools.filter((school) => school.daysLeft !== undefined && school.daysLeft > from && school.daysLeft <= to);
  if (hits.length === 0) return [];
  const names = hits.map((school) => `${school.hostname} (${daysText(school.daysLeft as number)})`);
  return [`${hits.length} school${hits.length > 1 ? "s" : ""} with leases expiring within ${to} days: ${firstFew(names)}`];
}

/** Schools listed at the last run over every school that have no school file: their laptops get no lease. */
function withoutSchoolFile(schools: readonly SchoolStatus[]): string[] {
  const names = schools
    .filter((school) => school.listed === true && school.leases === undefined && !school.unreadable)
    .map((s) => s.hostname);
  if (names.length === 0) return [];
  const count = names.length === 1 ? "1 school" : `${names.length} schools`;
  return [`${count} listed at the last run without a school file (leases_dir moved or its files deleted?): ${firstFew(names)}`];
}

function staleRuns(status: DeploymentStatus, thresholds: Thresholds): string[] {
  const success = status.lastSuccessAt;
  if (success === undefined) return ["no successful run recorded (never run here, or not since the Ruby program)"];
  const hours = (status.now.getTime() - success.getTime()) / 3_600_000;
  // A run recorded in the future (the clock was ahead) proves nothing about cron now.
  if (hours < -CLOCK_SKEW_SECONDS / 3600)
    return [`the last successful run is dated in the future (${success.toISOString()}): check the system clock`];
  return hours > thresholds.maxAgeHours
    ? [`no successful run for ${hours.toFixed(1)} hours (max ${thresholds.maxAgeHours}): is cron running, is inventario reachable?`]
    : [];
}

/** Schools whose last outcome is a failure or a hold, whichever run it was, and failures that are no school's. */
function standingFailures(status: DeploymentStatus): string[] {
  const named = (outcome: "failed" | "held"): string[] =>
    status.failures.filter((failure) => failure.outcome === outcome).map((failure) => failure.name);
  const failed = named("failed");
  const held = named("held");
  return [
    ...(failed.length > 0 ? [`${failed.length} failed: ${firstFew(failed)}`] : []),
    ...(held.length > 0 ? [`${held.length} held until --force: ${firstFew(held)}`] : []),
  ];
}

function lastRunTrouble(status: DeploymentStatus): string[] {
  const run = status.lastRun;
  const trouble: string[] = [];
  // 128 + a signal's number: interrupted by it (SIGTERM: 143).
  if (run?.error !== undefined)
    trouble.push(
      run.exitCode > 128 ? `last run ${run.error} (exit ${run.exitCode})` : `last run did nothing (exit ${run.exitCode}): ${run.error}`,
    );
  if (run?.stolenListFailed) trouble.push(`last run: ${run.stolenListError ?? "could not fetch the stolen list"}`);
  return trouble;
}

/** The run in progress, if it has held the lock too long (a stuck run also keeps every later run out). */
function longRun(status: DeploymentStatus, thresholds: Thresholds): string[] {
  const since = status.runStartedAt;
  const limitHours = Math.min(thresholds.maxRunHours, thresholds.maxAgeHours);
  const seconds = since === undefined ? 0 : (status.now.getTime() - since.getTime()) / 1000;
  if (since === undefined || seconds <= limitHours * 3600) return [];
  const held =
    seconds < 120
      ? `${Math.round(seconds)} s`
      : seconds < 5400
        ? `${Math.round(seconds / 60)} min`
        : `${(seconds / 3600).toFixed(1)} hours`;
  return [
    `a run has been in progress for ${held} (since ${shortTime(since)}; max ${limitHours} hours): is a hook, make-lease.sh or inventario hanging?`,
  ];
}

function healthy(status: DeploymentStatus): string {
  const { totals } = status;
  const first = status.schools.find((school) => school.daysLeft !== undefined);
  const expiry = first ? `earliest expiry in ${daysText(first.daysLeft as number)} (${first.hostname})` : "no lease expires";
  const success = status.lastSuccessAt ? `; last successful run ${relativeTime(status.lastSuccessAt, status.now)}` : "";
  return `${totals.schools} schools, ${totals.laptops} laptops; ${expiry}${success}`;
}

/** Monitoring Plugins performance data: 'label'=value[UOM];[warn];[crit];[min];[max]. */
function perfdata(status: DeploymentStatus, thresholds: Thresholds): string[] {
  const data = [`schools=${status.totals.schools};;;0`, `laptops=${status.totals.laptops};;;0`];
  const first = status.schools.find((school) => school.daysLeft !== undefined);
  // `N:` alerts below N: fewer days left than the threshold.
  if (first) data.push(`earliest_expiry_days=${round(first.daysLeft as number)};${thresholds.warningDays}:;${thresholds.criticalDays}:`);
  const failures = status.failures;
  data.push(`failed=${failures.filter((f) => f.outcome === "failed").length};;;0`);
  data.push(`held=${failures.filter((f) => f.outcome === "held").length};;;0`);
  if (status.lastSuccessAt) {
    const age = Math.max(0, Math.round((status.now.getTime() - status.lastSuccessAt.getTime()) / 1000));
    data.push(`last_success_age=${age}s;;${thresholds.maxAgeHours * 3600};0`);
  }
  return data;
}

const round = (n: number): number => Math.round(n * 100) / 100;
