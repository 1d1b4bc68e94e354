// What `status` prints: a table of the schools, most urgent first, then the deployment's totals,
// its last run, its stolen list and the schools inventario dropped; or the same as one JSON
// document (`--json`, documented in the README). Times are UTC, as lease expiries are.
import { nameInMessage } from "./log-line.js";
import type { DeploymentStatus, SchoolStatus } from "./deployment-status.js";
import { lastRunDocument, schoolRecordDocument } from "./run-record-file.js";
import type { LastRun, SchoolRecord } from "./run-record.js";

const EXIT_MEANINGS: Readonly<Record<number, string>> = {
  0: "all done",
  1: "another run was active",
  2: "usage or configuration error",
  3: "some failed",
  4: "nothing could be done",
};

/** `2026-11-22 02:17Z` */
export function shortTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")}Z`;
}

/** `5 min ago`, `3.2 h ago`, `2.1 days ago` (`in …` for a time ahead). */
export function relativeTime(date: Date, now: Date): string {
  const ms = now.getTime() - date.getTime();
  const minutes = Math.abs(ms) / 60_000;
  const span =
    minutes < 90
      ? `${Math.round(minutes)} min`
      : minutes < 48 * 60
        ? `${(minutes / 60).toFixed(1)} h`
        : `${(minutes / 1440).toFixed(1)} days`;
  return ms >= 0 ? `${span} ago` : `in ${span}`;
}

/** Text from a state file or inventario, made safe for one line of a terminal (U+202E would reverse it). */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, "?");
}

export function outcomeText(hostname: string, last: SchoolRecord | undefined, listed: boolean | undefined): string {
  const dropped = listed === false ? "; not listed by inventario any more" : "";
  if (last === undefined) return `unknown (no run recorded)${dropped}`;
  // A failure's message starts with the hostname (as messages show it), already in the first column.
  const prefix = `${nameInMessage(hostname)}: `;
  const reason = last.reason?.startsWith(prefix) ? last.reason.slice(prefix.length) : last.reason;
  const why = reason === undefined ? "" : last.outcome === "regenerated" ? ` (${reason})` : `: ${reason}`;
  return printable(`${last.outcome}${why}, ${shortTime(last.at)}${dropped}`);
}

function schoolRow(school: SchoolStatus, now: Date): string[] {
  const { leases, daysLeft } = school;
  const expiry = leases?.earliestExpiry;
  const days = daysLeft === undefined ? "-" : daysLeft < 0 ? "expired" : daysLeft.toFixed(1);
  const nextDue = school.nextDueAt === undefined || school.nextDueAt <= now ? "next run" : shortTime(school.nextDueAt);
  return [
    school.hostname,
    leases === undefined ? "-" : String(leases.laptops),
    school.unreadable ? "unreadable" : leases === undefined ? "no lease file" : expiry === undefined ? "-" : shortTime(expiry),
    days,
    school.lastSignedAt === undefined ? "unknown" : shortTime(school.lastSignedAt),
    leases === undefined ? "-" : nextDue,
    outcomeText(school.hostname, school.last, school.listed),
  ];
}

const HEADER = ["SCHOOL", "LAPTOPS", "EARLIEST EXPIRY", "DAYS LEFT", "LAST SIGNED", "NEXT DUE", "LAST OUTCOME"];
const RIGHT_ALIGNED = new Set([1, 3]);

function table(rows: readonly string[][]): string {
  const widths = HEADER.map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => {
        if (column === row.length - 1) return cell;
        const width = widths[column] as number;
        return RIGHT_ALIGNED.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ");
  return rows.map((row) => `${line(row)}\n`).join("");
}

export function lastRunText(run: LastRun, now: Date): string {
  const seconds = (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000;
  const limited = run.hostnames ? `, limited to ${run.hostnames.join(",")}` : "";
  const forced = run.force ? ", --force" : "";
  // 128 + a signal's number: a run interrupted by it, which still reports what it finished.
  const interrupted = run.exitCode > 128;
  const meaning = EXIT_MEANINGS[run.exitCode] ?? (interrupted ? "interrupted" : "unknown");
  const done = `${run.regenerated} regenerated, ${run.upToDate} up to date, ${run.failed} failed (${run.held} held), ${run.leasesSigned} leases signed${run.stolenListFailed ? ", stolen list failed" : ""}`;
  const counts = run.error === undefined ? done : printable(interrupted ? `${run.error}: ${done}` : run.error);
  return (
    printable(
      `${shortTime(run.finishedAt)} (${relativeTime(run.finishedAt, now)}), ${seconds.toFixed(1)} s${forced}${limited}, exit ${run.exitCode} (${meaning}): `,
    ) + counts
  );
}

export function statusText(status: DeploymentStatus): string {
  const { now, totals } = status;
  const lines: string[] = [];
  if (status.schools.length > 0) lines.push(table([HEADER, ...status.schools.map((school) => schoolRow(school, now))]).trimEnd());
  else lines.push("No schools: no lease files, and no run has recorded any.");
  lines.push("");
  const o = totals.outcomes;
  lines.push(
    `Totals: ${totals.schools} schools, ${totals.laptops} laptops with a lease, ${totals.leases} leases; last outcomes: ${o.regenerated} regenerated, ${o["up to date"]} up to date, ${o.failed} failed, ${o.held} held, ${o.unknown} unknown`,
  );
  lines.push(
    `Last run: ${status.lastRun ? lastRunText(status.lastRun, now) : "none recorded (never run here, or not since the Ruby program)"}`,
  );
  const success = status.lastSuccessAt;
  lines.push(
    `Last successful run (every school, exit 0 or 3): ${success ? `${shortTime(success)} (${relativeTime(success, now)})` : "none recorded"}`,
  );
  lines.push(`Stolen list: ${stolenText(status)}`);
  const unlisted = status.unlisted;
  lines.push(
    `Files of schools inventario no longer lists: ${unlisted === undefined ? "unknown until a run over every school" : unlisted.length === 0 ? "none" : unlisted.join(", ")}`,
  );
  if (status.runInProgress) {
    const since = status.runStartedAt && ` (started ${shortTime(status.runStartedAt)}, ${relativeTime(status.runStartedAt, now)})`;
    lines.push(`A run is in progress${since ?? ""}: what it has not finished yet is not shown.`);
  }
  return `${lines.join("\n")}\n`;
}

function stolenText(status: DeploymentStatus): string {
  const { stolen, now } = status;
  if (stolen === undefined) return "none on disk yet";
  const fetched = stolen.fetchedAt
    ? `fetched ${shortTime(stolen.fetchedAt)} (${relativeTime(stolen.fetchedAt, now)})`
    : "fetch time unknown";
  return `${stolen.laptops} laptops, ${fetched}, last changed ${shortTime(stolen.changedAt)} (${relativeTime(stolen.changedAt, now)})`;
}

/** `status --json`. */
export function statusDocument(status: DeploymentStatus): object {
  const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;
  return {
    version: 1,
    now: iso(status.now),
    schools: status.schools.map((school) => ({
      hostname: school.hostname,
      laptops: school.leases?.laptops ?? null,
      leases: school.leases?.leases ?? null,
      unreadable: school.unreadable ?? false,
      earliestExpiry: iso(school.leases?.earliestExpiry),
      daysLeft: school.daysLeft === undefined ? null : Math.round(school.daysLeft * 100) / 100,
      lastSignedAt: iso(school.lastSignedAt),
      staleAt: iso(school.staleAt),
      nextDueAt: iso(school.nextDueAt),
      listed: school.listed ?? null,
      lastOutcome: schoolRecordDocument(school.last),
    })),
    totals: status.totals,
    lastRun: lastRunDocument(status.lastRun),
    lastSuccessAt: iso(status.lastSuccessAt),
    stolenList: status.stolen
      ? { laptops: status.stolen.laptops, changedAt: iso(status.stolen.changedAt), fetchedAt: iso(status.stolen.fetchedAt) }
      : null,
    unlisted: status.unlisted ?? null,
    lastRunFailures: status.lastRunFailures,
    failures: status.failures,
    runInProgress: status.runInProgress,
    runStartedAt: iso(status.runStartedAt),
    problems: status.problems,
  };
}
