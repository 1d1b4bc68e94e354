// `verify` as a story: the stolen list; each school file (its JSON, each lease line, the laptop
// files of its serials, and its signatures, checked on every core while the next school is
// read); then the rest of the tree (orphan, misplaced, stray and temporary files). It only
// reads: no lock, no write, so it can run beside a run and as any user who can read the files.
import { join } from "node:path";
import { byteOrder, parseSerial, quote, type Hostname, type Serial, type Uuid } from "../core/domain.js";
import { LaptopFileLedger } from "../core/laptop-file-ledger.js";
import {
  checkSchoolFile,
  isNotice,
  leaseChecker,
  signatureProblems,
  signedMessages,
  type LeaseProblem,
  type LeaseTextCheck,
} from "../core/lease-check.js";
import type { SignedRecord } from "../core/signed-record.js";
import { readStolenListText } from "../core/stolen-list.js";
import { canonicalCommand, sortProblems, type UnrecordedSchool, type VerifyProblem, type VerifyReport } from "../core/verify-report.js";
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
  readonly check: LeaseTextCheck;
  readonly uuids: readonly Uuid[];
}

/** Checks every school (or only `hostnames`), then, for the whole tree, what no school accounts for. */
export async function verifyLeases(deps: VerifyDeps, hostnames?: readonly Hostname[]): Promise<VerifyReport> {
  const verification = new Verification(deps);
  const found = verification.found;
  const stolen = verification.readStolen();
  const schools = await listSchools(deps.leasesDir, found, await knownSchools(deps.state), hostnames);
  const inFlight: Promise<void>[] = [];
  for (const hostname of schools.checked) {
    const pending = await verification.checkSchool(hostname, stolen);
    inFlight.push(verification.verifySignatures(pending));
    if (inFlight.length >= SCHOOLS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
  // With HOST given, the other schools still count for the laptop files the named ones share with them.
  for (const hostname of schools.others) await verification.compareSharedLaptopFiles(hostname);
  for (const { serial, problem } of found.ledger.finish()) found.add(verification.laptopFile(serial), serial, problem);
  if (hostnames === undefined) await walkTree(deps.leasesDir, stolen, found);
  const notices = sortProblems(found.notices);
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
    notices,
    canonicalCommand: canonicalCommand(notices, [...schools.checked].sort(byteOrder)[0]),
  };
}

/** What verify has found so far. */
class Findings implements Found {
  readonly problems: VerifyProblem[] = [];
  readonly notices: VerifyProblem[] = [];
  readonly ledger = new LaptopFileLedger();
  readonly unrecorded: UnrecordedSchool[] = [];
  laptopFiles = 0;
  leaseLines = 0;
  verified = 0;
  notChecked = 0;

  /** A problem, or a notice (`school`: the school whose --force puts it right, if it names none). */
  add(file: string, serial: string | undefined, problem: LeaseProblem, school?: Hostname): void {
    if (!isNotice(problem.kind)) this.problems.push({ file, serial, ...problem });
    else this.notices.push({ file, serial, ...problem, schools: problem.schools ?? (school === undefined ? [] : [school]) });
  }
}

/** One verification: its paths, its line checker, and what it found. */
class Verification {
  readonly found = new Findings();
  private readonly schoolDir: string;
  private readonly laptopDir: string;
  private readonly checkLeases: (serial: Serial, text: string) => LeaseTextCheck;

  constructor(private readonly deps: VerifyDeps) {
    this.schoolDir = join(deps.leasesDir, "by-school");
    this.laptopDir = join(deps.leasesDir, "by-laptop");
    this.checkLeases = leaseChecker(deps.key.keyId, deps.now);
  }

  laptopFile(serial: Serial): string {
    return `${this.laptopDir}/${serial.slice(-2)}/${serial}`;
  }

  readStolen(): Set<Serial> {
    const path = join(this.deps.leasesDir, "stolen.list");
    const read = readRegularFile(path);
    if ("error" in read) this.found.add(path, undefined, { kind: "unreadable", what: read.error });
    return "bytes" in read ? readStolenListText(read.bytes.toString("utf8")) : new Set();
  }

  /** A school file's leases, or undefined (with the problem told, if `tell`) when it cannot be read as one. */
  private readSchool(hostname: Hostname, tell: boolean): Map<string, string> | undefined {
    const path = `${this.schoolDir}/${hostname}`;
    const read = readRegularFile(path);
    const tellProblem = (problem: LeaseProblem): void => void (tell && this.found.add(path, undefined, problem));
    if (!("bytes" in read)) {
      tellProblem(
        "missing" in read ? { kind: "missing-school-file", what: "no such school file" } : { kind: "unreadable", what: read.error },
      );
      return undefined;
    }
    const { leases, problem } = checkSchoolFile(read.bytes);
    if (problem) tellProblem(problem);
    return leases;
  }

  /** Every check of one school but the signatures, which it returns to verify. */
  async checkSchool(hostname: Hostname, stolen: ReadonlySet<Serial>): Promise<PendingSerial[]> {
    const path = `${this.schoolDir}/${hostname}`;
    const leases = this.readSchool(hostname, true);
    if (leases === undefined) return [];
    const uuids = uuidsBySerial(await this.readRecord(hostname));
    const pending: PendingSerial[] = [];
    let unchecked = 0;
    for (const [key, value] of leases) {
      const serial = parseSerial(key);
      if (!serial.ok) {
        this.found.add(path, quote(key), { kind: "bad-serial", what: `not a serial: ${serial.reason}` });
        continue;
      }
      if (stolen.has(serial.value)) this.found.add(path, serial.value, { kind: "stolen", what: "on stolen.list, yet given a lease" });
      const check = this.checkLeases(serial.value, value);
      for (const problem of check.problems) this.found.add(path, serial.value, problem, hostname);
      this.found.leaseLines += check.lineCount;
      const recorded = uuids?.get(serial.value);
      if (recorded === undefined) unchecked += check.lines.length;
      else pending.push({ file: path, serial: serial.value, check, uuids: recorded });
      this.compareLaptopFile(hostname, serial.value, value, stolen, recorded);
    }
    if (unchecked > 0) this.found.unrecorded.push({ hostname, leases: unchecked });
    this.found.notChecked += unchecked;
    return pending;
  }

  /** The school's record of what it signed; undefined when there is none, or it is damaged (told, if `tell`). */
  private async readRecord(hostname: Hostname, tell = true): Promise<SignedRecord | undefined> {
    try {
      return await this.deps.state.readSignedRecord(hostname);
    } catch (error) {
      if (!tell) return undefined;
      const path = this.deps.state.signedRecordFile(hostname);
      const message = (error as Error).message;
      const what = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
      this.found.add(path, undefined, { kind: "bad-record", what });
      return undefined;
    }
  }

  private compareLaptopFile(
    hostname: Hostname,
    serial: Serial,
    value: string,
    stolen: ReadonlySet<Serial>,
    uuids: readonly Uuid[] | undefined,
  ): void {
    const path = this.laptopFile(serial);
    const firstLook = !this.found.ledger.has(serial);
    const read = readRegularFile(path);
    if ("error" in read) {
      if (firstLook) this.found.add(path, serial, { kind: "unreadable", what: read.error });
      this.found.ledger.listedUnread(hostname, serial);
      return;
    }
    const file = "bytes" in read ? read.bytes.toString("utf8") : undefined;
    if (firstLook && file !== undefined) {
      this.found.laptopFiles += 1;
      if (stolen.has(serial)) this.found.add(path, serial, { kind: "stolen", what: "on stolen.list, yet its laptop file holds a lease" });
    }
    const problem = this.found.ledger.see(hostname, serial, value, file, uuids);
    if (problem) this.found.add(path, serial, problem);
  }

  /** A school outside HOST…: only its lines of the serials the named schools list matter. */
  async compareSharedLaptopFiles(hostname: Hostname): Promise<void> {
    const leases = this.readSchool(hostname, false);
    if (leases === undefined) return;
    const uuids = uuidsBySerial(await this.readRecord(hostname, false));
    for (const [key, value] of leases) {
      const serial = parseSerial(key);
      if (serial.ok && this.found.ledger.has(serial.value))
        this.compareLaptopFile(hostname, serial.value, value, new Set(), uuids?.get(serial.value));
    }
  }

  /** Sends a school's lines to the verifier; its problems are added when the answers come. */
  async verifySignatures(pending: readonly PendingSerial[]): Promise<void> {
    const checks: SignatureCheck[] = [];
    for (const { serial, check, uuids } of pending)
      for (const line of check.lines) checks.push({ messages: signedMessages(serial, uuids, line), signature: line.signature });
    if (checks.length === 0) return;
    const matched = await this.deps.verifier.verify(checks);
    let at = 0;
    for (const { file, serial, check, uuids } of pending) {
      const answers = matched.slice(at, at + check.lines.length);
      at += check.lines.length;
      this.found.verified += answers.filter((answer) => answer !== -1).length;
      for (const problem of signatureProblems(check.lines, check.lineCount, uuids, answers)) this.found.add(file, serial, problem);
    }
  }
}

/** The schools this state_dir knows of: with a checksum, or listed at the last run over every school. */
async function knownSchools(state: StateStore): Promise<Set<string>> {
  const owned = await state.ownedSchools().catch(() => new Set<string>());
  // A damaged run record is status's to report; here it only means fewer names known.
  const record = await state.readRunRecord().catch(() => undefined);
  return new Set<string>([...owned, ...(record?.listed?.hostnames ?? [])]);
}

function uuidsBySerial(record: SignedRecord | undefined): Map<string, Uuid[]> | undefined {
  if (record === undefined) return undefined;
  const uuids = new Map<string, Uuid[]>();
  for (const { serial, uuid } of record.laptops) uuids.set(serial, [...(uuids.get(serial) ?? []), uuid]);
  return uuids;
}
