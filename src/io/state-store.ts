// The files under `state_dir`: one `<hostname>.checksum` per school in the Ruby original's
// format (SPEC §4), the log, and a marker saying that a run changed leases without finishing.
import { open, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { checksumFileText, readChecksumFile } from "../core/checksum.js";
import { parseHostname, type Hostname, type Serial } from "../core/domain.js";
import { RecordError, readSignedRecord, signedRecordText, type SignedRecord } from "../core/signed-record.js";
import { readStolenListText } from "../core/stolen-list.js";
import { ensureDirectories, replaceFile, temporaryFileTarget } from "./atomic-file.js";

export interface StoredChecksum {
  readonly checksum: string;
  readonly writtenAt: Date;
}

const SWEEP_MARKER = "sweep-pending";
const REINSTATED = "reinstated.list";
const SIGNED_DIR = "signed";
const CHECKSUM = ".checksum";

/** Whether a name in state_dir is a temporary file of one of its state files (never a rotated log). */
function isStateTemporary(name: string): boolean {
  const target = temporaryFileTarget(name);
  return target !== undefined && (target.endsWith(CHECKSUM) || target.endsWith(".json") || target === REINSTATED);
}

export class StateStore {
  constructor(readonly dir: string) {}

  get logFile(): string {
    return join(this.dir, "leasegen.log");
  }

  checksumFile(hostname: Hostname): string {
    return join(this.dir, `${hostname}${CHECKSUM}`);
  }

  /** The schools this state_dir has written: those with a checksum file (ours or the Ruby program's). */
  async ownedSchools(): Promise<Set<Hostname>> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });
    const owned = new Set<Hostname>();
    for (const name of names) {
      const hostname = name.endsWith(CHECKSUM) ? parseHostname(name.slice(0, -CHECKSUM.length)) : undefined;
      if (hostname?.ok) owned.add(hostname.value);
    }
    return owned;
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

  /**
   * Dates the checksum file back to 1970 before a school's files change, so that a run killed or
   * failing midway (a forced one too) leaves the school stale, to be regenerated next time. Only
   * the time changes: the file's bytes, and with it the school's ownership, stay; and a full
   * disk cannot stop it.
   */
  async markRegenerating(hostname: Hostname): Promise<void> {
    const handle = await open(this.checksumFile(hostname), "r").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    if (!handle) return;
    try {
      await handle.utimes(0, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
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
    const strays: string[] = [];
    for (const dir of [this.dir, join(this.dir, SIGNED_DIR)]) {
      const names = await readdir(dir).catch(() => []);
      strays.push(...names.filter(isStateTemporary).map((name) => join(dir, name)));
    }
    await Promise.all(strays.map((path) => rm(path, { force: true })));
    await rm(join(this.dir, SWEEP_MARKER), { force: true });
    return strays.length;
  }
}
