// The files under `leases_dir` (SPEC §4): one canonical-JSON file per school, one file per
// laptop, the stolen lists. Every path is built from validated Hostname and Serial values only.
import { readFile, readdir, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { readSchoolFile, schoolFileText } from "../core/canonical-json.js";
import { parseHostname, parseSerial, type Hostname, type Serial } from "../core/domain.js";
import { SerialSet } from "../core/serial-set.js";
import { readStolenListText, stolenCsvText, stolenListText, type StolenLaptop } from "../core/stolen-list.js";
import { TEMP_FILE, ensureDirectories, replaceFile, replaceFiles, syncDirectory } from "./atomic-file.js";
import { eachLimited } from "./each-limited.js";

export interface PruneResult {
  readonly removed: number;
  /** Stolen laptops taken out of by-school files (of schools that could not be regenerated). */
  readonly revoked: number;
}

export class OutputStore {
  readonly schoolDir: string;
  readonly laptopDir: string;
  /** The school files this run wrote, and their serials: the sweep need not read them back. */
  private readonly committed = new Set<Hostname>();
  private readonly listed = new SerialSet();

  constructor(readonly root: string) {
    this.schoolDir = join(root, "by-school");
    this.laptopDir = join(root, "by-laptop");
  }

  schoolFile(hostname: Hostname): string {
    return join(this.schoolDir, hostname);
  }

  laptopFile(serial: Serial): string {
    return join(this.laptopDir, serial.slice(-2), serial);
  }

  /** The serials in a school's current file; undefined if it is missing or not a lease file. */
  async readSchoolSerials(hostname: Hostname): Promise<Set<string> | undefined> {
    const leases = await this.readSchoolLeases(hostname);
    return leases && new Set(leases.keys());
  }

  /** A school's current file as serial → lease text; undefined if it is missing or not a lease file. */
  private async readSchoolLeases(hostname: Hostname): Promise<Map<string, string> | undefined> {
    try {
      return readSchoolFile(await readFile(this.schoolFile(hostname), "utf8"));
    } catch {
      return undefined;
    }
  }

  /** Only a stat: deciding that a school is up to date reads none of its leases. */
  async schoolFileExists(hostname: Hostname): Promise<boolean> {
    return (await stat(this.schoolFile(hostname)).catch(() => undefined))?.isFile() ?? false;
  }

  /** Laptop files first, then the school file; each set made durable before the next. */
  async commitSchool(hostname: Hostname, leases: ReadonlyMap<Serial, string>): Promise<void> {
    const laptopFiles = new Map<string, string>();
    for (const [serial, text] of leases) laptopFiles.set(this.laptopFile(serial), text);
    await replaceFiles(laptopFiles);
    await ensureDirectories([this.schoolFile(hostname)]);
    await replaceFile(this.schoolFile(hostname), schoolFileText(leases));
    await syncDirectory(this.schoolDir);
    this.committed.add(hostname);
    for (const serial of leases.keys()) this.listed.add(serial);
  }

  async removeSchool(hostname: Hostname): Promise<void> {
    await rm(this.schoolFile(hostname), { force: true });
  }

  /** Hostnames that have a school file. */
  async schoolHostnames(): Promise<Hostname[]> {
    return (await listNames(this.schoolDir)).flatMap((name) => {
      const hostname = parseHostname(name);
      return hostname.ok ? [hostname.value] : [];
    });
  }

  async readPreviousStolen(): Promise<Set<Serial>> {
    const text = await readFile(join(this.root, "stolen.list"), "utf8").catch(() => "");
    return readStolenListText(text);
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
   * run still lists them), leaves under by-laptop/ only the files of serials in some school
   * file, and removes the temporary files that interrupted writes left anywhere under leases_dir.
   */
  async prune(stolen: ReadonlySet<string>): Promise<PruneResult> {
    const hostnames = new Set<string>(await this.schoolHostnames());
    let revoked = 0;
    // A file this run wrote holds no stolen laptop, and its serials are already listed.
    for (const hostname of hostnames)
      if (!this.committed.has(hostname as Hostname)) revoked += await this.revokeStolen(hostname as Hostname, stolen);
    if (revoked > 0) await syncDirectory(this.schoolDir);
    let removed = 0;
    const remove = async (path: string): Promise<void> => {
      await unlink(path);
      removed += 1;
    };
    for (const name of await listNames(this.schoolDir)) if (!hostnames.has(name)) await remove(join(this.schoolDir, name));
    for (const name of await listNames(this.root)) if (TEMP_FILE.test(name)) await remove(join(this.root, name));
    for (const bucket of await listNames(this.laptopDir, true)) {
      const dir = join(this.laptopDir, bucket);
      const names = await listNames(dir);
      await eachLimited(names, 32, async (name) => {
        const serial = parseSerial(name);
        if (!serial.ok || !this.listed.has(serial.value) || name.slice(-2) !== bucket) await remove(join(dir, name));
      });
    }
    return { removed, revoked };
  }

  /**
   * Takes stolen laptops out of a school file this run did not write, and lists the serials it
   * keeps; resolves to the number taken out.
   */
  private async revokeStolen(hostname: Hostname, stolen: ReadonlySet<string>): Promise<number> {
    const leases = await this.readSchoolLeases(hostname);
    // Without knowing what it lists, no laptop file may be judged orphaned.
    if (leases === undefined) {
      throw new Error(`by-school/${hostname} is not a lease file: laptop files are kept; run --force ${hostname} to rewrite it`);
    }
    const listedStolen = [...leases.keys()].filter((serial) => stolen.has(serial));
    for (const serial of listedStolen) leases.delete(serial);
    if (listedStolen.length > 0) await replaceFile(this.schoolFile(hostname), schoolFileText(leases));
    for (const key of leases.keys()) {
      const serial = parseSerial(key);
      if (serial.ok) this.listed.add(serial.value);
    }
    return listedStolen.length;
  }
}

/** Names of the entries in a directory that are, or are not, directories; none if it is missing. */
async function listNames(dir: string, directories = false): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  return entries.filter((entry) => entry.isDirectory() === directories).map((entry) => entry.name);
}
