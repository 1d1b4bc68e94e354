// The deployment at a glance, from values only: each school's leases as they are on disk, when
// it was last signed and will next be re-signed, and its outcome at the last run; most urgent
// first. What the Ruby program left (lease and checksum files only) is enough for all but the
// outcomes and the runs, which are then unknown rather than guessed.
import { byteOrder, expiryTime, type Hostname } from "./domain.js";
import { leaseExpiries } from "./lease.js";
import { nextDueAt, type Signing } from "./lease-renewal.js";
import { sameStamp, type FileStamp } from "./signed-record.js";
import type { LastRun, OtherFailure, RecordedOutcome, RunRecord, SchoolRecord } from "./run-record.js";

/** The expiry that means "never" (SPEC §3): it puts no date on a school. */
const NEVER = "00000000T000000Z";
const DAY_MS = 86_400_000;

/** What a by-school file holds. */
export interface LeaseSummary {
  /** Serials with a lease. */
  readonly laptops: number;
  /** Lease lines (a serial listed with two UUIDs has two). */
  readonly leases: number;
  readonly earliestExpiry?: Date | undefined;
}

/** Sums up a by-school file's serial → lease text map; a string saying what is wrong if a value is not lease lines. */
export function summarizeLeases(leases: ReadonlyMap<string, string>): LeaseSummary | string {
  let lines = 0;
  // YYYYMMDDTHHMMSSZ sorts as time does: only the earliest is made a date (status reads 50,000 leases).
  let earliest: string | undefined;
  for (const [serial, text] of leases) {
    const expiries = leaseExpiries(text);
    if (expiries === undefined) return `the value of ${JSON.stringify(serial)} is not lease lines`;
    lines += expiries.length;
    for (const expiry of expiries) if (expiry !== NEVER && (earliest === undefined || expiry < earliest)) earliest = expiry;
  }
  const time = earliest === undefined ? undefined : expiryTime(earliest);
  if (earliest !== undefined && time === undefined) return `a lease has an impossible expiry ${earliest}`;
  return { laptops: leases.size, leases: lines, earliestExpiry: time };
}

/** One school as found on disk. */
export interface SchoolOnDisk {
  readonly hostname: Hostname;
  /** Undefined when it has no by-school file, or one that cannot be read. */
  readonly leases?: LeaseSummary | undefined;
  /** Its by-school file exists but cannot be read (a Problem names it). */
  readonly unreadable?: boolean | undefined;
  /** Its checksum file's time: written last at each regeneration, by this program and the Ruby one; since issue 17, when its oldest lease was signed. */
  readonly lastSignedAt?: Date | undefined;
  /** Its by-school file's size and time. */
  readonly schoolFile?: FileStamp | undefined;
  /** From its signed record: when its leases were signed, and the school file the run wrote; undefined without one. */
  readonly renewal?: { readonly signings: readonly Signing[]; readonly schoolFile: FileStamp } | undefined;
}

/** A file that could not be read, and why. */
export interface Problem {
  readonly file: string;
  readonly error: string;
}

export interface StatusInput {
  readonly now: Date;
  readonly staleSeconds: number;
  readonly schools: readonly SchoolOnDisk[];
  readonly record?: RunRecord | undefined;
  /** From leases_dir/stolen.list; undefined when there is none. */
  readonly stolen?: { readonly laptops: number; readonly changedAt: Date } | undefined;
  readonly runInProgress: boolean;
  /** When the run in progress took the lock. */
  readonly runStartedAt?: Date | undefined;
  readonly problems: readonly Problem[];
  /** The schools asked about (HOST arguments); undefined for all. */
  readonly only?: ReadonlySet<Hostname> | undefined;
}

export interface SchoolStatus {
  readonly hostname: Hostname;
  readonly leases?: LeaseSummary | undefined;
  readonly unreadable?: boolean | undefined;
  readonly daysLeft?: number | undefined;
  readonly lastSignedAt?: Date | undefined;
  /** When the Ruby program's rule would re-sign it: last signed plus stale_lease_threshold; undefined when unknown. */
  readonly staleAt?: Date | undefined;
  /** When a run will next sign one of its leases though nothing changed; undefined when unknown (the next run checks them). */
  readonly nextDueAt?: Date | undefined;
  /** Whether inventario listed it at the last run over every school; undefined if unknown. */
  readonly listed?: boolean | undefined;
  readonly last?: SchoolRecord | undefined;
}

export type OutcomeCounts = Readonly<Record<RecordedOutcome | "unknown", number>>;

export interface DeploymentStatus {
  readonly now: Date;
  /** Most urgent first. */
  readonly schools: readonly SchoolStatus[];
  readonly totals: { readonly schools: number; readonly laptops: number; readonly leases: number; readonly outcomes: OutcomeCounts };
  readonly lastRun?: LastRun | undefined;
  readonly lastSuccessAt?: Date | undefined;
  readonly stolen?: { readonly laptops: number; readonly changedAt: Date; readonly fetchedAt?: Date | undefined } | undefined;
  /** Schools with files on disk that inventario did not list at the last run over every school; undefined if no such run is recorded. */
  readonly unlisted?: readonly Hostname[] | undefined;
  /** The schools (or other things) that failed or were held at the last run. */
  readonly lastRunFailures: readonly OtherFailure[];
  /**
   * What is failing now: each school whose last outcome is failed or held, whichever run it was
   * (a school stays failed until a run succeeds for it), then the failures that are no school's
   * still standing (not when asking about some schools).
   */
  readonly failures: readonly OtherFailure[];
  readonly runInProgress: boolean;
  /** When the run in progress took the lock. */
  readonly runStartedAt?: Date | undefined;
  readonly problems: readonly Problem[];
}

export function deploymentStatus(input: StatusInput): DeploymentStatus {
  const { now, record } = input;
  const listed = record?.listed && new Set(record.listed.hostnames);
  const schools = input.schools.map((school): SchoolStatus => {
    const expiry = school.leases?.earliestExpiry;
    const staleAt = school.lastSignedAt && new Date(school.lastSignedAt.getTime() + input.staleSeconds * 1000);
    return {
      ...school,
      daysLeft: expiry && (expiry.getTime() - now.getTime()) / DAY_MS,
      staleAt,
      nextDueAt: nextDueOf(school, staleAt, input.staleSeconds),
      listed: listed?.has(school.hostname),
      last: record?.schools.get(school.hostname),
    };
  });
  schools.sort(byUrgency);
  const outcomes = { regenerated: 0, "up to date": 0, failed: 0, held: 0, unknown: 0 };
  for (const school of schools) outcomes[school.last?.outcome ?? "unknown"] += 1;
  const onDisk = schools.filter((school) => school.leases !== undefined);
  return {
    now,
    schools,
    totals: {
      schools: schools.length,
      laptops: onDisk.reduce((sum, school) => sum + (school.leases?.laptops ?? 0), 0),
      leases: onDisk.reduce((sum, school) => sum + (school.leases?.leases ?? 0), 0),
      outcomes,
    },
    lastRun: record?.lastRun,
    lastSuccessAt: record?.lastSuccessAt,
    stolen: input.stolen && { ...input.stolen, fetchedAt: record?.stolenListFetchedAt },
    unlisted: listed && onDisk.filter((school) => !listed.has(school.hostname)).map((school) => school.hostname),
    lastRunFailures: lastRunFailures(schools, record?.lastRun, input.only),
    failures: standingFailures(schools, record, input.only),
    runInProgress: input.runInProgress,
    runStartedAt: input.runStartedAt,
    problems: input.problems,
  };
}

/**
 * A school is due when one of its leases is (issue 17), or when the Ruby program's rule says so;
 * unknown (the next run checks its leases) without a signed record of when they were signed, or
 * when its school file is not the one the run wrote.
 */
function nextDueOf(school: SchoolOnDisk, staleAt: Date | undefined, staleSeconds: number): Date | undefined {
  const renewal = school.renewal;
  if (renewal === undefined || staleAt === undefined || !sameStamp(renewal.schoolFile, school.schoolFile)) return undefined;
  const leases = nextDueAt(renewal.signings, staleSeconds);
  return leases === undefined || staleAt < leases ? staleAt : leases;
}

/** A school asked about by name that nothing here knows: no lease file, no checksum, no recorded outcome. */
export function isUnknownSchool(school: SchoolStatus): boolean {
  return school.leases === undefined && !school.unreadable && school.lastSignedAt === undefined && school.last === undefined;
}

/**
 * Schools with no leases on disk first (a listed school whose first signing failed), then by
 * earliest expiry, then those with nothing that expires (an empty school); at equal rank a
 * school that failed or was held comes first, then byte order.
 */
function byUrgency(a: SchoolStatus, b: SchoolStatus): number {
  const rank = (s: SchoolStatus): number => (s.leases === undefined ? 0 : s.leases.earliestExpiry ? 1 : 2);
  const time = (s: SchoolStatus): number => s.leases?.earliestExpiry?.getTime() ?? 0;
  const troubled = (s: SchoolStatus): number => (s.last?.outcome === "failed" || s.last?.outcome === "held" ? 0 : 1);
  return rank(a) - rank(b) || time(a) - time(b) || troubled(a) - troubled(b) || byteOrder(a.hostname, b.hostname);
}

const isTrouble = (last: SchoolRecord | undefined): last is SchoolRecord & { outcome: "failed" | "held" } =>
  last?.outcome === "failed" || last?.outcome === "held";

function standingFailures(
  schools: readonly SchoolStatus[],
  record: RunRecord | undefined,
  only: ReadonlySet<Hostname> | undefined,
): OtherFailure[] {
  const failures: OtherFailure[] = [];
  for (const school of [...schools].sort((a, b) => byteOrder(a.hostname, b.hostname)))
    if (isTrouble(school.last)) failures.push({ name: school.hostname, outcome: school.last.outcome, reason: school.last.reason ?? "" });
  if (only !== undefined) return failures;
  return [...failures, ...(record?.otherFailures ?? record?.lastRun?.otherFailures ?? [])];
}

function lastRunFailures(
  schools: readonly SchoolStatus[],
  run: LastRun | undefined,
  only: ReadonlySet<Hostname> | undefined,
): OtherFailure[] {
  if (run === undefined) return [];
  const fromRun = (last: SchoolRecord | undefined): last is SchoolRecord & { outcome: "failed" | "held" } =>
    isTrouble(last) && last.at.getTime() === run.startedAt.getTime();
  const failures: OtherFailure[] = [];
  for (const school of [...schools].sort((a, b) => byteOrder(a.hostname, b.hostname)))
    if (fromRun(school.last)) failures.push({ name: school.hostname, outcome: school.last.outcome, reason: school.last.reason ?? "" });
  return only === undefined ? [...failures, ...run.otherFailures] : failures;
}
