// `state_dir/run-record.json`, replaced at the end of every run but a --dry-run: one line of JSON,
// then LF (the README documents every field):
//   {"version":1,"lastRun":{…}|null,"lastSuccessAt":"<ISO 8601>"|null,"stolenListFetchedAt":…|null,
//    "listed":{"at":"<ISO>","hostnames":["…"]}|null,
//    "schools":{"<hostname>":{"outcome":"regenerated|up to date|failed|held","reason":"…"|null,"at":"<ISO>"}},
//    "otherFailures":[{"name":"…","outcome":"failed|held","reason":"…"}]}
// `otherFailures` and `lastRun.stolenListError` came later: a record without them is still read.
// A document that is not exactly that is refused, naming why; every hostname is validated.
import { byteOrder, parseHostname, type Hostname } from "./domain.js";
import type { LastRun, OtherFailure, RecordedOutcome, RunRecord, SchoolRecord } from "./run-record.js";
import { RecordError } from "./signed-record.js";

const iso = (date: Date | undefined): string | null => date?.toISOString() ?? null;

/** The last run as JSON values (also `status --json`'s `lastRun`). */
export function lastRunDocument(run: LastRun | undefined): object | null {
  if (run === undefined) return null;
  return {
    ...run,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    hostnames: run.hostnames ?? null,
    stolenListError: run.stolenListError ?? null,
    error: run.error ?? null,
  };
}

/** A school's outcome as JSON values (also in `status --json`). */
export function schoolRecordDocument(school: SchoolRecord | undefined): object | null {
  return school ? { outcome: school.outcome, reason: school.reason ?? null, at: iso(school.at) } : null;
}

export function runRecordText(record: RunRecord): string {
  const schools: Record<string, unknown> = {};
  for (const hostname of [...record.schools.keys()].sort(byteOrder)) schools[hostname] = schoolRecordDocument(record.schools.get(hostname));
  const document = {
    version: 1,
    lastRun: lastRunDocument(record.lastRun),
    lastSuccessAt: iso(record.lastSuccessAt),
    stolenListFetchedAt: iso(record.stolenListFetchedAt),
    listed: record.listed ? { at: iso(record.listed.at), hostnames: record.listed.hostnames } : null,
    schools,
    otherFailures: record.otherFailures ?? record.lastRun?.otherFailures ?? [],
  };
  return `${JSON.stringify(document)}\n`;
}

const OUTCOMES: readonly string[] = ["regenerated", "up to date", "failed", "held"] satisfies RecordedOutcome[];
type Count = "exitCode" | "regenerated" | "upToDate" | "failed" | "held" | "leasesSigned" | "removedSchools";

/** Reads a record back; throws RecordError, saying why, if it is not one this program writes. */
export function readRunRecord(text: string): RunRecord {
  const read = new Reader();
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return read.fail("not JSON");
  }
  const top = read.object(document, "the document");
  if (top["version"] !== 1) read.fail("unknown version");
  const listed = top["listed"] === null ? undefined : read.object(top["listed"], "listed");
  return {
    lastRun: top["lastRun"] === null ? undefined : readLastRun(read, read.object(top["lastRun"], "lastRun")),
    lastSuccessAt: read.optionalDate(top["lastSuccessAt"], "lastSuccessAt"),
    stolenListFetchedAt: read.optionalDate(top["stolenListFetchedAt"], "stolenListFetchedAt"),
    listed: listed && { at: read.date(listed["at"], "listed.at"), hostnames: read.hostnames(listed["hostnames"], "listed.hostnames") },
    schools: readSchools(read, read.object(top["schools"], "schools")),
    otherFailures: top["otherFailures"] === undefined ? undefined : readOtherFailures(read, top["otherFailures"], "otherFailures"),
  };
}

function readOtherFailures(read: Reader, value: unknown, what: string): OtherFailure[] {
  return read.list(value, what).map((item, i): OtherFailure => {
    const other = read.object(item, `${what}[${i}]`);
    const outcome = other["outcome"];
    if (outcome !== "failed" && outcome !== "held") return read.fail(`${what}[${i}]: unknown outcome`);
    return { name: read.string(other["name"], "name"), outcome, reason: read.string(other["reason"], "reason") };
  });
}

function readLastRun(read: Reader, run: Record<string, unknown>): LastRun {
  const count = (key: Count): number => read.count(run[key], `lastRun.${key}`);
  const stolenListError = run["stolenListError"];
  return {
    startedAt: read.date(run["startedAt"], "lastRun.startedAt"),
    finishedAt: read.date(run["finishedAt"], "lastRun.finishedAt"),
    exitCode: count("exitCode"),
    hostnames: run["hostnames"] === null ? undefined : read.strings(run["hostnames"], "lastRun.hostnames"),
    force: read.boolean(run["force"], "lastRun.force"),
    regenerated: count("regenerated"),
    upToDate: count("upToDate"),
    failed: count("failed"),
    held: count("held"),
    leasesSigned: count("leasesSigned"),
    removedSchools: count("removedSchools"),
    stolenListFailed: read.boolean(run["stolenListFailed"], "lastRun.stolenListFailed"),
    stolenListError:
      stolenListError === undefined || stolenListError === null ? undefined : read.string(stolenListError, "lastRun.stolenListError"),
    error: run["error"] === null ? undefined : read.string(run["error"], "lastRun.error"),
    otherFailures: readOtherFailures(read, run["otherFailures"], "lastRun.otherFailures"),
  };
}

function readSchools(read: Reader, schools: Record<string, unknown>): Map<Hostname, SchoolRecord> {
  const map = new Map<Hostname, SchoolRecord>();
  for (const [name, value] of Object.entries(schools)) {
    const hostname = read.hostname(name, "schools");
    const school = read.object(value, `schools.${name}`);
    const outcome = school["outcome"];
    if (typeof outcome !== "string" || !OUTCOMES.includes(outcome)) read.fail(`schools.${name}: unknown outcome`);
    const reason = school["reason"] === null ? undefined : read.string(school["reason"], `schools.${name}.reason`);
    map.set(hostname, { outcome: outcome as RecordedOutcome, reason, at: read.date(school["at"], `schools.${name}.at`) });
  }
  return map;
}

/** Checks each value's type, and fails naming the field. */
class Reader {
  fail(why: string): never {
    throw new RecordError(`not a run record: ${why}`);
  }
  object(value: unknown, what: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(`${what} is not an object`);
    return value as Record<string, unknown>;
  }
  list(value: unknown, what: string): unknown[] {
    return Array.isArray(value) ? value : this.fail(`${what} is not a list`);
  }
  string(value: unknown, what: string): string {
    return typeof value === "string" ? value : this.fail(`${what} is not a string`);
  }
  strings(value: unknown, what: string): string[] {
    return this.list(value, what).map((item) => this.string(item, what));
  }
  boolean(value: unknown, what: string): boolean {
    return typeof value === "boolean" ? value : this.fail(`${what} is not true or false`);
  }
  count(value: unknown, what: string): number {
    return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : this.fail(`${what} is not a count`);
  }
  date(value: unknown, what: string): Date {
    const date = typeof value === "string" ? new Date(value) : undefined;
    return date && !Number.isNaN(date.getTime()) ? date : this.fail(`${what} is not a date`);
  }
  optionalDate(value: unknown, what: string): Date | undefined {
    return value === null ? undefined : this.date(value, what);
  }
  /** Hostnames go into paths: each is validated as one from inventario is. */
  hostname(value: unknown, what: string): Hostname {
    const hostname = parseHostname(this.string(value, what));
    return hostname.ok ? hostname.value : this.fail(`${what}: ${hostname.reason}`);
  }
  hostnames(value: unknown, what: string): Hostname[] {
    return this.list(value, what).map((item) => this.hostname(item, what));
  }
}
