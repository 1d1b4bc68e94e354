// `verify` as a story: the stolen list; each school file (its JSON, each lease line, the laptop
// files of its serials, and its signatures, checked on every core while the next school is
// read); then the rest of the tree (orphan, misplaced, stray and temporary files). It only
// reads: no lock, no write, so it can run beside a run and as any user who can read the files.
import { join } from "node:path";
import { parseSerial, quote, type Hostname, type Serial, type Uuid } from "../core/domain.js";
import { LaptopFileLedger } from "../core/laptop-file-ledger.js";
import {
  checkLeaseText,
  checkSchoolFile,
  signatureProblems,
  signedMessages,
  type CheckedLine,
  type LeaseProblem,
} from "../core/lease-check.js";
import type { SignedRecord } from "../core/signed-record.js";
import { readStolenListText } from "../core/stolen-list.js";
import { sortProblems, type UnrecordedSchool, type VerifyProblem, type VerifyReport } from "../core/verify-report.js";
import { readRegularFile } from "../io/lease-tree-reader.js";
import type { StateStore } from "../io/state-store.js";
import type { LeasePublicKey } from "../signers/lease-key.js";
import type { SignatureCheck } from "../signers/lease-verifier.js";
import { listSchools, walkTree, type Found } from "./tree.js";

/** Schools whose signatures may be in the verifier's hands at once: enough to keep every core busy. */
const SCHOOLS_IN_FLIGHT = 8;

export interface VerifyDeps {
  readonly leasesDir: string;
  readonly state: StateStore;
  readonly key: LeasePublicKey;
  readonly verifier: { verify(checks: readonly SignatureCheck[]): Promise<number[]> };
  readonly now: Date;
}

/** A serial's lines waiting for the verifier. */
interface PendingSerial {
  readonly file: string;
  readonly serial: Serial;
  readonly lines: readonly CheckedLine[];
  readonly lineCount: number;
  readonly uuids: readonly Uuid[];
}

/** What verify has found so far. */
class Findings implements Found {
  readonly problems: VerifyProblem[] = [];
  readonly ledger = new LaptopFileLedger();
  readonly unrecorded: UnrecordedSchool[] = [];
  laptopFiles = 0;
  leaseLines = 0;
  verified = 0;
  notChecked = 0;

  add(file: string, serial: string | undefined, problem: LeaseProblem): void {
    this.problems.push({ file, serial, ...problem });
  }
}

/** Checks every school (or only `hostnames`), then, for the whole tree, what no school accounts for. */
export async function verifyLeases(deps: VerifyDeps, hostnames?: readonly Hostname[]): Promise<VerifyReport> {
  const found = new Findings();
  const stolen = readStolen(deps.leasesDir, found);
  const schools = await listSchools(deps.leasesDir, found, hostnames);
  const inFlight: Promise<void>[] = [];
  for (const hostname of schools.checked) {
    const pending = await checkSchool(deps, hostname, stolen, found);
    inFlight.push(verifySignatures(deps, pending, found));
    if (inFlight.length >= SCHOOLS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  // With HOST given, the other schools still count for the laptop files the named ones share with them.
  for (const hostname of schools.others) compareSharedLaptopFiles(deps.leasesDir, hostname, found);
  for (const { serial, problem } of found.ledger.finish()) found.add(laptopFile(deps.leasesDir, serial), serial, problem);
  if (hostnames === undefined) await walkTree(deps.leasesDir, stolen, found);
  return {
    leasesDir: deps.leasesDir,
    checkedAt: deps.now,
    wholeTree: hostnames === undefined,
    schools: schools.checked.length,
    laptopFiles: found.laptopFiles,
    leaseLines: found.leaseLines,
    signaturesVerified: found.verified,
    signaturesNotChecked: found.notChecked,
    unrecordedSchools: found.unrecorded,
    stolen: stolen.size,
    problems: sortProblems(found.problems),
  };
}

export function laptopFile(leasesDir: string, serial: Serial): string {
  return join(leasesDir, "by-laptop", serial.slice(-2), serial);
}

const schoolFile = (leasesDir: string, hostname: Hostname): string => join(leasesDir, "by-school", hostname);

function readStolen(leasesDir: string, found: Findings): Set<Serial> {
  const path = join(leasesDir, "stolen.list");
  const read = readRegularFile(path);
  if ("error" in read) found.add(path, undefined, { kind: "unreadable", what: read.error });
  return "bytes" in read ? readStolenListText(read.bytes.toString("utf8")) : new Set();
}

/** A school file's leases, or undefined (with the problem told) when it cannot be read as one. */
function readSchool(leasesDir: string, hostname: Hostname, found: Findings | undefined): Map<string, string> | undefined {
  const path = schoolFile(leasesDir, hostname);
  const read = readRegularFile(path);
  if (!("bytes" in read)) {
    const problem: LeaseProblem =
      "missing" in read ? { kind: "missing-school-file", what: "no such school file" } : { kind: "unreadable", what: read.error };
    found?.add(path, undefined, problem);
    return undefined;
  }
  const { leases, problem } = checkSchoolFile(read.bytes);
  if (problem) found?.add(path, undefined, problem);
  return leases;
}

/** Every check of one school but the signatures, which it returns to verify. */
async function checkSchool(deps: VerifyDeps, hostname: Hostname, stolen: ReadonlySet<Serial>, found: Findings): Promise<PendingSerial[]> {
  const path = schoolFile(deps.leasesDir, hostname);
  const leases = readSchool(deps.leasesDir, hostname, found);
  if (leases === undefined) return [];
  const uuids = uuidsBySerial(await readRecord(deps.state, hostname, found));
  const pending: PendingSerial[] = [];
  let unchecked = 0;
  for (const [key, value] of leases) {
    const serial = parseSerial(key);
    if (!serial.ok) {
      found.add(path, quote(key), { kind: "bad-serial", what: `not a serial: ${serial.reason}` });
      continue;
    }
    if (stolen.has(serial.value)) found.add(path, serial.value, { kind: "stolen", what: "on stolen.list, yet given a lease" });
    const check = checkLeaseText(serial.value, value, deps.key.keyId, deps.now);
    for (const problem of check.problems) found.add(path, serial.value, problem);
    found.leaseLines += check.lineCount;
    const recorded = uuids?.get(serial.value);
    if (recorded === undefined) unchecked += check.lines.length;
    else pending.push({ file: path, serial: serial.value, lines: check.lines, lineCount: check.lineCount, uuids: recorded });
    compareLaptopFile(deps.leasesDir, hostname, serial.value, value, stolen, found);
  }
  if (unchecked > 0) found.unrecorded.push({ hostname, leases: unchecked });
  found.notChecked += unchecked;
  return pending;
}

/** The school's record of what it signed; undefined when there is none, or it is damaged (told). */
async function readRecord(state: StateStore, hostname: Hostname, found: Findings): Promise<SignedRecord | undefined> {
  try {
    return await state.readSignedRecord(hostname);
  } catch (error) {
    const path = state.signedRecordFile(hostname);
    const message = (error as Error).message;
    found.add(path, undefined, { kind: "bad-record", what: message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message });
    return undefined;
  }
}

function uuidsBySerial(record: SignedRecord | undefined): Map<string, Uuid[]> | undefined {
  if (record === undefined) return undefined;
  const uuids = new Map<string, Uuid[]>();
  for (const { serial, uuid } of record.laptops) uuids.set(serial, [...(uuids.get(serial) ?? []), uuid]);
  return uuids;
}

function compareLaptopFile(
  leasesDir: string,
  hostname: Hostname,
  serial: Serial,
  value: string,
  stolen: ReadonlySet<Serial>,
  found: Findings,
): void {
  const path = laptopFile(leasesDir, serial);
  const firstLook = !found.ledger.has(serial);
  const read = readRegularFile(path);
  if ("error" in read) {
    if (firstLook) found.add(path, serial, { kind: "unreadable", what: read.error });
    found.ledger.listedUnread(hostname, serial);
    return;
  }
  const file = "bytes" in read ? read.bytes.toString("utf8") : undefined;
  if (firstLook && file !== undefined) {
    found.laptopFiles += 1;
    if (stolen.has(serial)) found.add(path, serial, { kind: "stolen", what: "on stolen.list, yet its laptop file holds a lease" });
  }
  const problem = found.ledger.see(hostname, serial, value, file);
  if (problem) found.add(path, serial, problem);
}

/** A school outside HOST…: only its lines of the serials the named schools list matter. */
function compareSharedLaptopFiles(leasesDir: string, hostname: Hostname, found: Findings): void {
  const leases = readSchool(leasesDir, hostname, undefined);
  for (const [key, value] of leases ?? []) {
    const serial = parseSerial(key);
    if (serial.ok && found.ledger.has(serial.value)) compareLaptopFile(leasesDir, hostname, serial.value, value, new Set(), found);
  }
}

/** Sends a school's lines to the verifier; its problems are added when the answers come. */
async function verifySignatures(deps: VerifyDeps, pending: readonly PendingSerial[], found: Findings): Promise<void> {
  const checks: SignatureCheck[] = [];
  for (const entry of pending)
    for (const line of entry.lines) checks.push({ messages: signedMessages(entry.serial, entry.uuids, line), signature: line.signature });
  if (checks.length === 0) return;
  const matched = await deps.verifier.verify(checks);
  let at = 0;
  for (const entry of pending) {
    const answers = matched.slice(at, at + entry.lines.length);
    at += entry.lines.length;
    found.verified += answers.filter((answer) => answer !== -1).length;
    for (const problem of signatureProblems(entry.lines, entry.lineCount, entry.uuids, answers))
      found.add(entry.file, entry.serial, problem);
  }
}
