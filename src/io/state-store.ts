// The files under `state_dir`: one `<hostname>.checksum` per school in the Ruby original's
// format (SPEC §4), the log, and a marker saying that a run changed leases without finishing.
import { readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checksumFileText, readChecksumFile } from "../core/checksum.js";
import type { Hostname, Serial } from "../core/domain.js";
import { readRunRecord, runRecordText } from "../core/run-record-file.js";
import type { RunRecord } from "../core/run-record.js";
import { RecordError, readSignedRecord, signedRecordText, type SignedRecord } from "../core/signed-record.js";
import { readStolenListText } from "../core/stolen-list.js";
import { TEMP_FILE, ensureDirectories, replaceFile } from "./atomic-file.js";

export interface StoredChecksum {
  readonly checksum: string;
  readonly writtenAt: Date;
}

const SWEEP_MARKER = "sweep-pending";
const REINSTATED = "reinstated.list";
const SIGNED_DIR = "signed";
const RUN_RECORD = "run-record.json";

export class StateStore {
  constructor(readonly dir: string) {}

  get logFile(): string {
    return join(this.dir, "leasegen.log");
  }

  checksumFile(hostname: Hostname): string {
    return join(this.dir, `${hostname}.checksum`);
  }

  /** The stored checksum and when it was written; undefined if missing or unreadable. */
  async readChecksum(hostname: Hostname): Promise<StoredChecksum | undefined> {
    try {
      const path = this.checksumFile(hostname);
      const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
      const checksum = readChecksumFile(text);
      return checksum === undefined ? undefined : { checksum, writtenAt: info.mtime };
    } catch {
      return undefined;
    }
  }

  /** The commit point of a school: written last, after its lease files are durable. */
  async writeChecksum(hostname: Hostname, checksum: string): Promise<void> {
    await replaceFile(this.checksumFile(hostname), checksumFileText(checksum));
  }

  async removeChecksum(hostname: Hostname): Promise<void> {
    await rm(this.checksumFile(hostname), { force: true });
  }

  signedRecordFile(hostname: Hostname): string {
    return join(this.dir, SIGNED_DIR, `${hostname}.json`);
  }

  /** Written with the school's files, before its checksum (the commit point). */
  async writeSignedRecord(record: SignedRecord): Promise<void> {
    const path = this.signedRecordFile(record.hostname);
    await ensureDirectories([path]);
    await replaceFile(path, signedRecordText(record));
  }

  /** Undefined when there is none (a school last signed by the Ruby program); throws RecordError, naming the file, when damaged. */
  async readSignedRecord(hostname: Hostname): Promise<SignedRecord | undefined> {
    const path = this.signedRecordFile(hostname);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new RecordError(`${path}: ${(error as Error).message}`);
    }
    try {
      return readSignedRecord(text, hostname);
    } catch (error) {
      throw new RecordError(`${path}: ${(error as Error).message}`);
    }
  }

  async removeSignedRecord(hostname: Hostname): Promise<void> {
    await rm(this.signedRecordFile(hostname), { force: true });
  }

  get runRecordFile(): string {
    return join(this.dir, RUN_RECORD);
  }

  /** Undefined before the first run (or the first since the Ruby program); throws RecordError, naming the file, when damaged. */
  async readRunRecord(): Promise<RunRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.runRecordFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new RecordError(`${this.runRecordFile}: ${(error as Error).message}`);
    }
    try {
      return readRunRecord(text);
    } catch (error) {
      throw new RecordError(`${this.runRecordFile}: ${(error as Error).message}`);
    }
  }

  /** Also removes a copy that a run killed while writing it left behind (the sweep may not run again soon). */
  async writeRunRecord(record: RunRecord): Promise<void> {
    await ensureDirectories([this.runRecordFile]);
    await replaceFile(this.runRecordFile, runRecordText(record));
    const leftovers = (await readdir(this.dir)).filter((name) => TEMP_FILE.test(name) && name.includes(RUN_RECORD));
    await Promise.all(leftovers.map((name) => rm(join(this.dir, name), { force: true })));
  }

  /** Serials taken off the stolen list whose schools have not all been run since. */
  async readReinstated(): Promise<Set<Serial>> {
    return readStolenListText(await readFile(join(this.dir, REINSTATED), "utf8").catch(() => ""));
  }

  async writeReinstated(serials: ReadonlySet<Serial>): Promise<void> {
    if (serials.size === 0) await rm(join(this.dir, REINSTATED), { force: true });
    else await replaceFile(join(this.dir, REINSTATED), [...serials].map((serial) => `${serial}\n`).join(""));
  }

  /** Marks that lease files are changing, so that a run killed now is swept up by the next. */
  async markSweepPending(): Promise<void> {
    await ensureDirectories([join(this.dir, SWEEP_MARKER)]);
    await writeFile(join(this.dir, SWEEP_MARKER), "");
  }

  async sweepPending(): Promise<boolean> {
    return (await stat(join(this.dir, SWEEP_MARKER)).catch(() => undefined)) !== undefined;
  }

  /** Removes stray temporary files, then the marker. */
  async finishSweep(): Promise<number> {
    const strays = (await readdir(this.dir)).filter((name) => TEMP_FILE.test(name));
    await Promise.all(strays.map((name) => rm(join(this.dir, name), { force: true })));
    await rm(join(this.dir, SWEEP_MARKER), { force: true });
    return strays.length;
  }
}
