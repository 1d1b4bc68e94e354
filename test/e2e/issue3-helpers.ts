// Shared checks for the issue-3 (security and reliability) end-to-end tests: what must hold of
// the files under leases_dir after any run, completed or killed.
import assert from "node:assert/strict";
import { join } from "node:path";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { parseHostname, parseSerial } from "../../src/core/domain.js";
import { mergeLeaseTexts } from "../../src/core/lease.js";
import { LEASES_LOCK, readTree, type Deployment, type RunResult } from "../support/harness.js";

/** One act01/sig01 lease line made with the 2048-bit test key: 630 bytes. */
export const LEASE_LINE = /^act01: [A-Z0-9]{11} K \d{8}T\d{6}Z sig01: sha256 [0-9a-f]{64} [0-9a-f]{512}\n$/;
export const LEASE_BYTES = 630;

/** Splits a laptop file into its lines, asserting each is one complete lease line. */
export function assertLeaseLines(text: string, serial: string, where: string): string[] {
  assert.ok(text.length > 0 && text.length % LEASE_BYTES === 0, `${where}: ${text.length} bytes is not a whole number of lease lines`);
  const lines: string[] = [];
  for (let at = 0; at < text.length; at += LEASE_BYTES) {
    const line = text.slice(at, at + LEASE_BYTES);
    assert.match(line, LEASE_LINE, `${where}: torn or malformed lease line`);
    assert.equal(line.slice(7, 18), serial, `${where}: lease of another serial`);
    lines.push(line);
  }
  return lines;
}

export interface LeaseDirContents {
  /** hostname → serial → lease text */
  readonly schools: Map<string, Map<string, string>>;
  /** serial → lease text */
  readonly laptops: Map<string, string>;
  /** Paths of files that are neither a school, a laptop nor a stolen list (temporary files). */
  readonly strays: string[];
}

/**
 * Reads leases_dir and checks what must hold even right after a kill -9: every file named like
 * a school is canonical JSON of complete lease lines, every file named like a laptop holds
 * complete lease lines of that serial, in its bucket.
 */
export async function checkVisibleFiles(leasesDir: string): Promise<LeaseDirContents> {
  const schools = new Map<string, Map<string, string>>();
  const laptops = new Map<string, string>();
  const strays: string[] = [];
  const tree = await readTree(leasesDir);
  // A temporary file a kill left (`.<name>.<pid>-<n>.tmp`) never has a school's or a laptop's name.
  for (const [path, bytes] of tree) {
    const parts = path.split("/");
    const text = bytes.toString("latin1");
    if (parts[0] === "by-school" && parts.length === 2 && parseHostname(parts[1] as string).ok) {
      const leases = readSchoolFile(text);
      for (const [serial, lease] of leases) assertLeaseLines(lease, serial, path);
      schools.set(parts[1] as string, leases);
    } else if (parts[0] === "by-laptop" && parts.length === 3 && parseSerial(parts[2] as string).ok) {
      const serial = parts[2] as string;
      assert.equal(serial.slice(-2), parts[1], `${path}: in the wrong bucket`);
      assertLeaseLines(text, serial, path);
      laptops.set(serial, text);
    } else if (path !== "stolen.csv" && path !== "stolen.list" && path !== LEASES_LOCK) {
      strays.push(path);
    }
  }
  return { schools, laptops, strays };
}

/**
 * What must hold after every completed run: no stray file, no laptop file outside the schools'
 * files, and each laptop file holding exactly the lines of every school file that lists it.
 */
export async function checkCompletedRun(leasesDir: string): Promise<LeaseDirContents> {
  const contents = await checkVisibleFiles(leasesDir);
  assert.deepEqual(contents.strays, [], "stray files left under leases_dir");
  const listed = new Map<string, string[]>();
  for (const leases of contents.schools.values())
    for (const [serial, text] of leases) listed.set(serial, [...(listed.get(serial) ?? []), text]);
  const orphans = [...contents.laptops.keys()].filter((serial) => !listed.has(serial));
  assert.deepEqual(orphans, [], "by-laptop files of serials that no by-school file lists");
  for (const [serial, texts] of listed) assert.equal(contents.laptops.get(serial), mergeLeaseTexts(texts), `by-laptop file of ${serial}`);
  return contents;
}

/** The bytes of every file a school owns: its by-school file, its laptops' files, its checksum. */
export async function schoolSnapshot(deployment: Deployment, hostname: string): Promise<Map<string, Buffer>> {
  const leases = await readTree(deployment.leasesDir);
  const state = await readTree(deployment.stateDir);
  const files = new Map<string, Buffer>();
  const schoolFile = leases.get(join("by-school", hostname));
  assert.ok(schoolFile, `${hostname} has no by-school file`);
  files.set(join("by-school", hostname), schoolFile);
  for (const serial of readSchoolFile(schoolFile.toString("latin1")).keys()) {
    const path = join("by-laptop", serial.slice(-2), serial);
    files.set(path, leases.get(path) ?? Buffer.from("(missing)"));
  }
  files.set(`${hostname}.checksum`, state.get(`${hostname}.checksum`) ?? Buffer.from("(missing)"));
  return files;
}

/** stderr as lines, without the trailing empty one. */
export function stderrLines(result: RunResult): string[] {
  return result.stderr.split("\n").filter((line) => line !== "");
}

/** A compact description of a run for assertion messages. */
export function shown(result: RunResult): string {
  return `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}
