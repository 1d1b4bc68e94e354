// Values for the status, check and metrics unit tests: a fixed "now", schools as found on disk,
// a last run, and well-formed lease lines.
import type { SchoolOnDisk, StatusInput } from "../../src/core/deployment-status.js";
import type { Expiry, Hostname } from "../../src/core/domain.js";
import type { LastRun, RunRecord } from "../../src/core/run-record.js";

export const NOW = new Date("2026-11-22T12:00:00.000Z");
export const DAY = 86_400_000;

/** A well-formed lease line (the signature is not checked here). */
export function lease(serial: string, expiry: string): string {
  return `act01: ${serial} K ${expiry} sig01: sha256 ${"a".repeat(64)} ${"b".repeat(512)}\n`;
}

export const h = (name: string): Hostname => `${name}.example.org` as Hostname;
export const daysFromNow = (days: number): Date => new Date(NOW.getTime() + days * DAY);

/** `YYYYMMDDTHHMMSSZ` */
export const expiryText = (date: Date): Expiry =>
  date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "") as Expiry;

/** A school signed a day ago, its leases expiring in `expiryDays` (none: an empty school), as its signed record says. */
export function school(name: string, expiryDays: number | undefined, extra: Partial<SchoolOnDisk> = {}): SchoolOnDisk {
  const leases = expiryDays === undefined ? { laptops: 0, leases: 0 } : { laptops: 2, leases: 3, earliestExpiry: daysFromNow(expiryDays) };
  const signedAt = daysFromNow(-1);
  const schoolFile = { size: 1900, mtimeMs: signedAt.getTime() };
  const signings = expiryDays === undefined ? [] : [{ signedAt, expiry: expiryText(daysFromNow(expiryDays)) }];
  return { hostname: h(name), leases, lastSignedAt: signedAt, schoolFile, renewal: { signings, schoolFile }, ...extra };
}

export function lastRun(extra: Partial<LastRun> = {}): LastRun {
  return {
    startedAt: new Date(NOW.getTime() - 3_600_000),
    finishedAt: new Date(NOW.getTime() - 3_598_500),
    exitCode: 0,
    hostnames: undefined,
    force: false,
    regenerated: 1,
    upToDate: 2,
    failed: 0,
    held: 0,
    leasesSigned: 5,
    removedSchools: 0,
    stolenListFailed: false,
    error: undefined,
    otherFailures: [],
    ...extra,
  };
}

export function input(schools: SchoolOnDisk[], record?: RunRecord, extra: Partial<StatusInput> = {}): StatusInput {
  return { now: NOW, staleSeconds: 7 * 86400, schools, record, runInProgress: false, problems: [], ...extra };
}
