// The files under `leases_dir` (SPEC §4): one canonical-JSON file per school, one file per
// laptop, the stolen lists. Paths are built from validated Hostname and Serial values, or from
// names read from the directory itself (one path component each).
//
// A laptop file holds the distinct lease lines of every school file that lists its serial, so
// the files of one school are written, revoked and removed with the others' lines kept. Several
// configurations may share one leases_dir (the lock covers it): each run deletes only what it owns
// (the schools its state_dir has a checksum for) and leaves every other file under by-school/.
import { constants, type Dirent, type Stats } from "node:fs";
import { lstat, open, readFile, readdir, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { readSchoolFile, schoolFileText } from "../core/canonical-json.js";
import { parseHostname, parseSerial, type Hostname, type Serial } from "../core/domain.js";
import { laptopFileChanges } from "../core/laptop-file-changes.js";
import { mergeLeaseTexts } from "../core/lease.js";
import { nameInMessage } from "../core/log-line.js";
import { SchoolListing } from "../core/school-listing.js";
import { schoolFileDigest, type FileStamp } from "../core/signed-record.js";
import { readStolenListText, stolenCsvText, stolenListText, type StolenLaptop } from "../core/stolen-list.js";
import { ensureDirectories, replaceFile, syncDirectory } from "./atomic-file.js";
import { inThreadWriter, type FileWriter } from "./file-writer.js";
import { ownTemporaryTarget, schoolTemporaryTarget, temporaryFileTarget } from "../core/temporary-file.js";
import { eachLimited } from "./each-limited.js";

export interface PruneResult {
  readonly removed: number;
  /** Stolen laptops taken out of by-school files (of schools that could not be regenerated). */
  readonly revoked: number;
  /** The schools this state_dir owns whose files were rewritten so, with each new file's digest and stamp. */
  readonly rewritten: ReadonlyMap<Hostname, WrittenSchoolFile>;
}

/** A school file as a revocation left it: what its signed record notes of it. */
export interface WrittenSchoolFile {
  readonly sha256: string;
  readonly stamp: FileStamp;
}

/** A by-school file as it is now: its digest and when it was last written. */
export interface SchoolFileState {
  /** Undefined when it is not a regular file that can be read (a link, say). */
  readonly sha256: string | undefined;
  readonly modifiedAt: Date;
}

const STOLEN_FILES = ["stolen.csv", "stolen.list"];

/** A school's file as read before its regeneration. */
export interface CurrentSchoolFile {
  readonly text: string;
  readonly leases: ReadonlyMap<string, string>;
}

/** What a school's commit wrote, and its school file as it left it. */
export interface CommittedSchool {
  readonly laptopFiles: number;
  readonly schoolFileWritten: boolean;
  readonly schoolFile: FileStamp;
  /** The digest of the school file as the commit left it (signed-record.ts). */
  readonly schoolFileSha256: string;
}

/**
 * Which school files list which serials; the school files of ours that cannot be read (the sweep
 * then deletes no laptop file); and which names read as school files.
 */
interface Listing {
  readonly listing: SchoolListing;
  readonly unreadable: Set<string>;
  readonly schoolFiles: Set<string>;
}

function stampOf(info: Stats | undefined): FileStamp | undefined {
  return info?.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : undefined;
}

export class OutputStore {
  readonly schoolDir: string;
  readonly laptopDir: string;
  private listing: Promise<Listing> | undefined;
  /** The schools this run's state_dir has written: the only ones it may remove. */
  private readonly owned: Set<string>;

  /** `writer` replaces many laptop files at once (threads in a run; this thread by default). */
  constructor(
    readonly root: string,
    owned: ReadonlySet<string>,
    private readonly writer: FileWriter = inThreadWriter,
  ) {
    this.schoolDir = join(root, "by-school");
    this.laptopDir = join(root, "by-laptop");
    this.owned = new Set(owned);
  }

  schoolFile(hostname: Hostname): string {
    return join(this.schoolDir, hostname);
  }

  laptopFile(serial: string): string {
    return join(this.laptopDir, serial.slice(-2), serial);
  }

  /** A school's current file: its text, and its serial → lease text; undefined if it is missing, a link, or not a lease file. */
  readCurrentSchool(hostname: Hostname): Promise<CurrentSchoolFile | undefined> {
    return this.readSchool(hostname);
  }

  /** A school file as serial → lease text; undefined if it is missing, a link, or not a lease file. */
  private async readSchoolLeases(name: string): Promise<Map<string, string> | undefined> {
    return (await this.readSchool(name))?.leases;
  }

  private async readSchool(name: string): Promise<{ readonly text: string; readonly leases: Map<string, string> } | undefined> {
    try {
      const text = await this.readSchoolFileText(name, "utf8");
      return { text, leases: readSchoolFile(text) };
    } catch {
      return undefined;
    }
  }

  /**
   * A school file's text (by default as latin1, so no byte is lost), as readRegularFile reads it.
   * `name` is a hostname or a name read from by-school/ itself.
   */
  async readSchoolFileText(name: string, encoding: BufferEncoding = "latin1"): Promise<string> {
    return readRegularFile(join(this.schoolDir, name), encoding);
  }

  /** A school file's digest and time; undefined when there is none. A link is not followed. */
  async schoolFileState(hostname: Hostname): Promise<SchoolFileState | undefined> {
    const modifiedAt = (await lstat(this.schoolFile(hostname)).catch(() => undefined))?.mtime;
    if (modifiedAt === undefined) return undefined;
    const text = await this.readSchoolFileText(hostname).catch(() => undefined);
    return { sha256: text === undefined ? undefined : schoolFileDigest(Buffer.from(text, "latin1")), modifiedAt };
  }

  /** Only a stat: deciding that a school is up to date reads none of its leases. Undefined unless a regular file. */
  async schoolFileStamp(hostname: Hostname): Promise<FileStamp | undefined> {
    return stampOf(await lstat(this.schoolFile(hostname)).catch(() => undefined));
  }

  /**
   * Writes what changed (issue 17, rule 4): the laptop files whose lines change (each merged with
   * the lines other school files hold for its serial, and those this school no longer lists
   * rewritten without it), then the school file if its bytes change; each set made durable before
   * the next. `previous` is the school file as read before (undefined: none could be read, so every
   * value is new); unless `trusted` (the last commit finished), the laptop files of unchanged values
   * are read, and rewritten where they differ.
   */
  async commitSchool(
    hostname: Hostname,
    leases: ReadonlyMap<string, string>,
    stolen: ReadonlySet<string>,
    previous: { readonly file: CurrentSchoolFile | undefined; readonly trusted: boolean },
  ): Promise<CommittedSchool> {
    const { listing, unreadable, schoolFiles } = await this.getListing();
    const changes = laptopFileChanges(previous.file?.leases, leases, listing.serialsOf(hostname), stolen);
    const laptopFiles = await this.laptopFilesFor(listing, hostname, [...changes.changed, ...changes.dropped], leases);
    if (!previous.trusted) {
      const expected = await this.laptopFilesFor(listing, hostname, changes.unchanged, leases);
      for (const [path, text] of await this.differing(expected)) laptopFiles.set(path, text);
    }
    if (laptopFiles.size > 0) await this.writer.replaceFiles(laptopFiles);
    const text = schoolFileText(leases);
    const schoolFileWritten = text !== previous.file?.text;
    if (schoolFileWritten) {
      await ensureDirectories([this.schoolFile(hostname)]);
      await replaceFile(this.schoolFile(hostname), text);
      await syncDirectory(this.schoolDir);
    }
    const stamp = await this.schoolFileStamp(hostname);
    if (stamp === undefined) throw new Error(`${this.schoolFile(hostname)} is gone right after it was written`);
    listing.set(hostname, [...leases.keys()]);
    // The sweep sees the files as this run's commits left them.
    unreadable.delete(hostname);
    schoolFiles.add(hostname);
    this.owned.add(hostname);
    const schoolFileSha256 = schoolFileDigest(Buffer.from(text, "utf8"));
    return { laptopFiles: laptopFiles.size, schoolFileWritten, schoolFile: stamp, schoolFileSha256 };
  }

  /**
   * Adds leases to a school's file, keeping every lease it holds byte for byte but those of
   * stolen laptops (a school held by the shrink guard).
   */
  async addToSchool(hostname: Hostname, added: ReadonlyMap<string, string>, stolen: ReadonlySet<string>): Promise<CommittedSchool> {
    const file = await this.readCurrentSchool(hostname);
    if (file === undefined) throw new Error(`by-school/${hostname} is not a lease file any more`);
    const leases = new Map<string, string>();
    for (const [serial, text] of file.leases) if (!stolen.has(serial)) leases.set(serial, text);
    for (const [serial, text] of added) leases.set(serial, text);
    return this.commitSchool(hostname, leases, stolen, { file, trusted: false });
  }

  /** Of these laptop files and the bytes they must hold, those that hold other bytes, are missing or are not regular files. */
  private async differing(expected: ReadonlyMap<string, string>): Promise<Map<string, string>> {
    const differing = new Map<string, string>();
    await eachLimited([...expected], 32, async ([path, text]) => {
      const onDisk = await readRegularFile(path, "latin1").catch(() => undefined);
      if (onDisk !== text) differing.set(path, text);
    });
    return differing;
  }

  /** Removes a school's file; the laptop files it shared keep the other schools' lines. */
  async removeSchool(hostname: Hostname, stolen: ReadonlySet<string>): Promise<void> {
    const { listing, unreadable, schoolFiles } = await this.getListing();
    const shared = listing.serialsOf(hostname).filter((serial) => !stolen.has(serial));
    const files = await this.laptopFilesFor(listing, hostname, shared, new Map());
    await this.writer.replaceFiles(files);
    await rm(this.schoolFile(hostname), { force: true });
    listing.set(hostname, []);
    unreadable.delete(hostname);
    schoolFiles.delete(hostname);
    this.owned.delete(hostname);
  }

  /**
   * The new laptop files of these serials, for a school whose leases are now `leases`: its lines
   * and those of the other school files listing the serial. A serial no school lists any more
   * gets none (the sweep deletes its file).
   */
  private async laptopFilesFor(
    listing: SchoolListing,
    hostname: string,
    serials: readonly string[],
    leases: ReadonlyMap<string, string>,
  ): Promise<Map<string, string>> {
    const others = new Map<string, Promise<Map<string, string> | undefined>>();
    const otherLeases = (school: string): Promise<Map<string, string> | undefined> => {
      let read = others.get(school);
      if (!read) others.set(school, (read = this.readSchoolLeases(school)));
      return read;
    };
    const files = new Map<string, string>();
    for (const serial of serials) {
      const own = leases.get(serial);
      const sharing = listing.othersListing(serial, hostname);
      if (sharing.length === 0) {
        if (own !== undefined) files.set(this.laptopFile(serial), own);
        continue;
      }
      const texts = own === undefined ? [] : [own];
      for (const school of sharing) {
        const text = (await otherLeases(school))?.get(serial);
        if (text !== undefined) texts.push(text);
      }
      if (texts.length > 0) files.set(this.laptopFile(serial), mergeLeaseTexts(texts));
    }
    return files;
  }

  /** This state_dir no longer owns `hostname`: its files are left to whoever wrote them. */
  disown(hostname: Hostname): void {
    this.owned.delete(hostname);
  }

  /** Hostnames that have a school file here, whoever wrote it. */
  async schoolHostnames(): Promise<Hostname[]> {
    return (await this.schoolFileNames()).flatMap((name) => {
      const hostname = parseHostname(name);
      return hostname.ok ? [hostname.value] : [];
    });
  }

  /** Hostnames this state_dir owns that have a school file. */
  async ownedSchoolHostnames(): Promise<Hostname[]> {
    const names = new Set(await this.schoolFileNames());
    return [...this.owned].filter((hostname) => names.has(hostname)) as Hostname[];
  }

  async readPreviousStolen(): Promise<Set<Serial> | undefined> {
    const text = await readFile(join(this.root, "stolen.list"), "utf8").catch(() => undefined);
    return text === undefined ? undefined : readStolenListText(text);
  }

  /** When stolen.list last changed (it is rewritten only then); undefined if there is none. */
  async stolenListChangedAt(): Promise<Date | undefined> {
    return (await stat(join(this.root, "stolen.list")).catch(() => undefined))?.mtime;
  }

  /** Whether the stolen files on disk differ from what this list would write. */
  async stolenListDiffers(laptops: readonly StolenLaptop[]): Promise<boolean> {
    const read = (name: string): Promise<string | undefined> => readFile(join(this.root, name), "utf8").catch(() => undefined);
    const [csv, list] = await Promise.all([read("stolen.csv"), read("stolen.list")]);
    return csv !== stolenCsvText(laptops) || list !== stolenListText(laptops);
  }

  async writeStolen(laptops: readonly StolenLaptop[]): Promise<void> {
    await ensureDirectories([join(this.root, "stolen.csv")]);
    await replaceFile(join(this.root, "stolen.csv"), stolenCsvText(laptops));
    await replaceFile(join(this.root, "stolen.list"), stolenListText(laptops));
    await syncDirectory(this.root);
  }

  /** Deletes the laptop files of these serials, if any. */
  async removeLaptops(serials: Iterable<Serial>): Promise<void> {
    await eachLimited([...serials], 32, (serial) => rm(this.laptopFile(serial), { force: true }));
  }

  /**
   * Takes the stolen laptops out of every school file (a school that failed or was held this
   * run still lists them), leaves under by-laptop/ only the files of serials some school file
   * lists, and removes the temporary files that interrupted writes left. Under by-school/ it
   * deletes only temporary files of the schools this state_dir owns, never a school's file:
   * `listed` (every name inventario sent; undefined in a run limited to some schools) is no
   * temporary file, whatever its shape.
   */
  async prune(stolen: ReadonlySet<string>, listed?: ReadonlySet<string>): Promise<PruneResult> {
    const { listing, unreadable, schoolFiles } = await this.getListing();
    const { revoked, rewritten } = await this.revokeStolen(listing, stolen);
    // Without knowing what a school lists, no laptop file may be judged orphaned.
    if (unreadable.size > 0) {
      const name = [...unreadable].sort()[0] as string;
      throw new Error(`by-school/${name} is not a lease file: laptop files are kept; run --force ${nameInMessage(name)} to rewrite it`);
    }
    let removed = 0;
    const remove = async (path: string): Promise<void> => {
      await unlink(path);
      removed += 1;
    };
    const names = await listNames(this.schoolDir, "files");
    const directory = {
      names: new Set(names),
      isSchool: (name: string) => listed === undefined || listed.has(name) || this.owned.has(name) || schoolFiles.has(name),
    };
    for (const name of names) {
      const target = schoolTemporaryTarget(name, directory);
      if (target !== undefined && this.owned.has(target)) await remove(join(this.schoolDir, name));
    }
    for (const name of await listNames(this.root, "files")) {
      if (STOLEN_FILES.includes(temporaryFileTarget(name) ?? "")) await remove(join(this.root, name));
    }
    for (const bucket of await listNames(this.laptopDir, "directories")) {
      const dir = join(this.laptopDir, bucket);
      await eachLimited(await listNames(dir, "others"), 32, async (name) => {
        const serial = parseSerial(name);
        if (!serial.ok || !listing.has(serial.value) || name.slice(-2) !== bucket) await remove(join(dir, name));
      });
    }
    return { removed, revoked, rewritten };
  }

  /** Rewrites every school file that lists a stolen laptop without it; resolves to the number taken out, and the digests of our schools' new files. */
  private async revokeStolen(
    listing: SchoolListing,
    stolen: ReadonlySet<string>,
  ): Promise<{ revoked: number; rewritten: Map<Hostname, WrittenSchoolFile> }> {
    const schools = new Set<string>();
    for (const serial of stolen) for (const school of listing.othersListing(serial, "")) schools.add(school);
    let revoked = 0;
    const rewritten = new Map<Hostname, WrittenSchoolFile>();
    for (const school of schools) {
      const leases = await this.readSchoolLeases(school);
      if (leases === undefined) continue;
      for (const serial of leases.keys()) {
        if (!stolen.has(serial)) continue;
        leases.delete(serial);
        revoked += 1;
      }
      const text = schoolFileText(leases);
      await replaceFile(join(this.schoolDir, school), text);
      listing.set(school, [...leases.keys()]);
      const stamp = this.owned.has(school) ? await this.schoolFileStamp(school as Hostname) : undefined;
      if (stamp) rewritten.set(school as Hostname, { sha256: schoolFileDigest(Buffer.from(text, "utf8")), stamp });
    }
    if (schools.size > 0) await syncDirectory(this.schoolDir);
    return { revoked, rewritten };
  }

  /** What every school file lists, read once per run, when the run first changes something; kept up to date by its commits. */
  private getListing(): Promise<Listing> {
    this.listing ??= this.readListing();
    return this.listing;
  }

  private async readListing(): Promise<Listing> {
    const listing = new SchoolListing();
    const unreadable = new Set<string>();
    const schoolFiles = new Set<string>();
    await eachLimited(await this.schoolFileNames(), 8, async (name) => {
      const leases = await this.readSchoolLeases(name);
      if (leases) {
        listing.set(name, [...leases.keys()]);
        schoolFiles.add(name);
      }
      // Only a school of ours that cannot be read matters: a stray file (a README) is left alone.
      else if (this.owned.has(name)) unreadable.add(name);
    });
    return { listing, unreadable, schoolFiles };
  }

  /** Entries of by-school/ that may be school files (a link is refused when read), not our temporary files. */
  private async schoolFileNames(): Promise<string[]> {
    return (await listNames(this.schoolDir, "others")).filter((name) => ownTemporaryTarget(name) === undefined);
  }
}

/**
 * A file's text, read without being led out of leases_dir: a symbolic link in its place is refused,
 * not followed, and so is anything but a regular file (O_NONBLOCK: a FIFO there must not hang the reader).
 */
async function readRegularFile(path: string, encoding: BufferEncoding): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === "ELOOP" ? new Error(`${path} is a symbolic link: not followed`) : error;
    },
  );
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    return await handle.readFile(encoding);
  } finally {
    await handle.close();
  }
}

/** Names of a directory's regular files, subdirectories, or entries that are not directories; none if it is missing. */
async function listNames(dir: string, kind: "files" | "directories" | "others"): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const wanted = { files: (e: Dirent) => e.isFile(), directories: (e: Dirent) => e.isDirectory(), others: (e: Dirent) => !e.isDirectory() }[
    kind
  ];
  return entries.filter(wanted).map((entry) => entry.name);
}
