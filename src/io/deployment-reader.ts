// Reads what `status` and the metrics show, from local files only: the by-school files, the
// checksum files' times, the run record, stolen.list, and which run holds the lock since when
// (never taken). It writes nothing and creates no directory, so it works during a run and for a
// member of the service group. A file it cannot read becomes a Problem naming it, never a guess.
import { readFile } from "node:fs/promises";
import { readSchoolFile } from "../core/canonical-json.js";
import type { Config } from "../core/config.js";
import { deploymentStatus, summarizeLeases, type DeploymentStatus, type Problem, type SchoolOnDisk } from "../core/deployment-status.js";
import { byteOrder, type Hostname } from "../core/domain.js";
import type { RunRecord } from "../core/run-record.js";
import { recordedSignings, type SignedRecord } from "../core/signed-record.js";
import { describe } from "../errors.js";
import { eachLimited } from "./each-limited.js";
import { lockHolder } from "./lock.js";
import { OutputStore } from "./output-store.js";
import { StateStore } from "./state-store.js";

export interface ReadOptions {
  /** Only these schools (HOST arguments); all by default. */
  readonly only?: readonly Hostname[] | undefined;
  /** The record just written by the run, rather than reading it back. */
  readonly record?: RunRecord | undefined;
}

export async function readDeploymentStatus(config: Config, now: Date, options: ReadOptions = {}): Promise<DeploymentStatus> {
  const state = new StateStore(config.stateDir);
  const owned = await state.ownedSchools().catch(() => new Set<Hostname>());
  const outputs = new OutputStore(config.leasesDir, owned);
  const problems: Problem[] = [];
  const record = options.record ?? (await readRecord(state, problems));
  const hostnames = options.only ?? (await allHostnames(outputs, owned, record, problems));
  const schools: SchoolOnDisk[] = [];
  await eachLimited(hostnames, 16, async (hostname) => {
    const [leases, checksum, schoolFile, record] = await Promise.all([
      readLeases(outputs, hostname, problems),
      state.readChecksum(hostname),
      outputs.schoolFileStamp(hostname),
      readSignedRecord(state, hostname, problems),
    ]);
    const renewal = record?.renewal && { signings: recordedSignings(record), schoolFile: record.renewal.schoolFile };
    schools.push({ hostname, ...leases, lastSignedAt: checksum?.writtenAt, schoolFile, renewal });
  });
  const changedAt = await outputs.stolenListChangedAt();
  const stolen = changedAt && { laptops: (await outputs.readPreviousStolen())?.size ?? 0, changedAt };
  const holder = await lockHolder(config.stateDir);
  problems.sort((a, b) => byteOrder(a.file, b.file));
  const only = options.only && new Set(options.only);
  const run = { runInProgress: holder !== undefined, runStartedAt: holder?.since };
  return deploymentStatus({ now, staleSeconds: config.staleSeconds, schools, record, stolen, ...run, problems, only });
}

/** A school's signed record (when its leases were signed); undefined when there is none, or it is damaged (a Problem). */
async function readSignedRecord(state: StateStore, hostname: Hostname, problems: Problem[]): Promise<SignedRecord | undefined> {
  try {
    return await state.readSignedRecord(hostname);
  } catch (error) {
    problems.push(problemOf(state.signedRecordFile(hostname), error));
    return undefined;
  }
}

async function readRecord(state: StateStore, problems: Problem[]): Promise<RunRecord | undefined> {
  try {
    return await state.readRunRecord();
  } catch (error) {
    problems.push(problemOf(state.runRecordFile, error));
    return undefined;
  }
}

/**
 * Every school of this configuration: those it has a checksum file for (its own or the Ruby
 * program's), a recorded outcome, or that were listed at its last run over every school; a
 * listed school may have no file (yet, or any more). Another configuration's school files on
 * the same leases_dir are not counted.
 */
async function allHostnames(
  outputs: OutputStore,
  owned: ReadonlySet<Hostname>,
  record: RunRecord | undefined,
  problems: Problem[],
): Promise<Hostname[]> {
  const onDisk = await outputs.schoolHostnames().catch((error: unknown) => {
    problems.push(problemOf(outputs.schoolDir, error));
    return [];
  });
  const recorded = [...(record?.schools.keys() ?? []), ...(record?.listed?.hostnames ?? [])];
  return [...new Set([...onDisk.filter((hostname) => owned.has(hostname)), ...recorded])];
}

/** The school file summed up: none if there is none, or `unreadable` (and a Problem naming it). */
async function readLeases(outputs: OutputStore, hostname: Hostname, problems: Problem[]): Promise<Partial<SchoolOnDisk>> {
  const path = outputs.schoolFile(hostname);
  const unreadable = (error: unknown): Partial<SchoolOnDisk> => {
    problems.push(problemOf(path, error));
    return { unreadable: true };
  };
  let text: string;
  try {
    // Leases are ASCII; latin1 is the cheapest exact decoding.
    text = await readFile(path, "latin1");
  } catch (error) {
    // Gone: never written, or removed by a run since the directory was listed.
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? {} : unreadable(error);
  }
  try {
    const summary = summarizeLeases(readSchoolFile(text));
    return typeof summary === "string" ? unreadable(new Error(summary)) : { leases: summary };
  } catch (error) {
    return unreadable(error);
  }
}

/** The file, and what is wrong with it without the file's name again. */
function problemOf(file: string, error: unknown): Problem {
  const message = describe(error);
  return { file, error: message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message };
}
