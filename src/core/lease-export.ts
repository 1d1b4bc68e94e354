// Leases on their way to the laptops (SPEC §4 "How leases travel from here"): the files that
// `export` puts on a USB stick, made from the by-school files already on disk. The XO's
// firmware and the school server's xs-activation read these bytes: they are contracts.
import { createHash } from "node:crypto";
import { readCanonicalSchoolFile, schoolFileText } from "./canonical-json.js";
import { byteOrder, parseHostname, quote, type Expiry, type Hostname, type Parsed } from "./domain.js";
import { leaseExpiry, serialLeaseText } from "./lease.js";

/** The expiry of a lease that never expires. */
const NEVER = "00000000T000000Z";

export interface SchoolExport {
  readonly hostname: Hostname;
  /** Its by-school file, byte for byte (checked to be canonical). */
  readonly text: string;
  /** serial → its lease lines */
  readonly leases: ReadonlyMap<string, string>;
  /** The earliest expiry of its leases; undefined when it has none that expires. */
  readonly earliestExpiry: Expiry | undefined;
}

const linesOf = (text: string): string[] => text.split(/(?<=\n)/);
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/**
 * A by-school file fit for a stick: canonical JSON whose every value is activation lease lines
 * of its serial (so the whole file is ASCII, and is written back byte for byte).
 */
export function checkSchoolExport(hostname: Hostname, text: string): Parsed<SchoolExport> {
  let leases: Map<string, string>;
  try {
    leases = readCanonicalSchoolFile(text);
  } catch (error) {
    return bad((error as Error).message);
  }
  let earliest: Expiry | undefined;
  for (const [serial, value] of leases) {
    for (const line of linesOf(value)) {
      const expiry = leaseExpiry(line);
      if (expiry === undefined || !line.startsWith(`act01: ${serial} K `))
        return bad(`the value of ${quote(serial)} is not lease lines for it`);
      if (expiry !== NEVER && (earliest === undefined || expiry < earliest)) earliest = expiry;
    }
  }
  return { ok: true, value: { hostname, text, leases, earliestExpiry: earliest } };
}

/**
 * `lease.sig` for XOs: one school's file as it is; several schools' leases in one canonical-JSON
 * file, where a serial that two schools list keeps the lines of both, sorted, as a serial with
 * two UUIDs does (the laptop picks the line that verifies).
 */
export function xoLeaseFile(schools: readonly SchoolExport[]): string {
  if (schools.length === 1) return (schools[0] as SchoolExport).text;
  const lines = new Map<string, Set<string>>();
  for (const school of schools) {
    for (const [serial, text] of school.leases) {
      const serialLines = lines.get(serial) ?? new Set<string>();
      for (const line of linesOf(text)) serialLines.add(line);
      lines.set(serial, serialLines);
    }
  }
  return schoolFileText(new Map([...lines].map(([serial, serialLines]) => [serial, serialLeaseText([...serialLines])])));
}

/** An IPv4 address (numbers and dots), or an IPv6 one (no host name holds a colon). */
const isIpAddress = (hostname: string): boolean => hostname.includes(":") || /^[0-9]+(\.[0-9]+)*$/.test(hostname);

/**
 * The school server's directory on an xs-activation stick: the first label of its domain, which
 * is what `hostname -d | cut -f1 -d.` prints on it (`escuela1` for
 * `schoolserver.escuela1.caacupe.paraguayeduca.org`).
 */
export function xsActivationName(hostname: Hostname): Parsed<string> {
  const labels = hostname.split(".");
  // 10.0.0.5 would give "0": a server known by its address has no domain that names its directory.
  if (isIpAddress(hostname)) return bad(`${hostname} is an IP address, not a name whose domain names its xs-activation directory`);
  if (labels.length < 2) return bad(`${hostname} has no domain part, after which its xs-activation directory is named`);
  const name = parseHostname(labels[1] as string);
  if (!name.ok) return bad(`${hostname}: the first label of its domain cannot name its xs-activation directory: ${name.reason}`);
  return name;
}

export interface XsActivationDir {
  readonly name: string;
  readonly school: SchoolExport;
}

/** Each school's xs-activation directory; schools without one, or sharing one, are errors naming them. */
export function xsActivationDirs(schools: readonly SchoolExport[]): { dirs: XsActivationDir[]; errors: string[] } {
  const byName = new Map<string, SchoolExport[]>();
  const errors: string[] = [];
  for (const school of schools) {
    const name = xsActivationName(school.hostname);
    if (name.ok) byName.set(name.value, [...(byName.get(name.value) ?? []), school]);
    else errors.push(name.reason);
  }
  const dirs: XsActivationDir[] = [];
  for (const [name, sharing] of byName) {
    if (sharing.length === 1) dirs.push({ name, school: sharing[0] as SchoolExport });
    else
      errors.push(
        `${sharing.map((school) => school.hostname).join(" and ")} would share xs-activation/${name}/: export them to separate sticks`,
      );
  }
  return { dirs, errors };
}

/** What `sha1sum *` prints in a directory holding these files (name → bytes), in glob order. */
export function sha1ManifestText(files: ReadonlyMap<string, string>): string {
  const sha1 = (data: string): string => createHash("sha1").update(data, "utf8").digest("hex");
  return [...files.keys()]
    .sort(byteOrder)
    .map((name) => `${sha1(files.get(name) as string)}  ${name}\n`)
    .join("");
}

/** A school's xs-activation directory, as the directories leading to it from the stick's root. */
export const xsActivationPath = (dir: XsActivationDir): [string, string] => ["xs-activation", dir.name];

/** The files of one school's xs-activation directory, by name, in writing order (the manifest last). */
export function xsActivationFiles(dir: XsActivationDir): [name: string, data: string][] {
  const leases = dir.school.text;
  return [
    ["leases.sig", leases],
    ["manifest.sha1", sha1ManifestText(new Map([["leases.sig", leases]]))],
  ];
}

/** One line for the technician: how many laptops this stick serves for the school, and until when. */
export function exportLine(school: SchoolExport, where: string): string {
  const laptops = school.leases.size;
  const e = school.earliestExpiry;
  const until =
    e !== undefined
      ? `, earliest expiry ${e.slice(0, 4)}-${e.slice(4, 6)}-${e.slice(6, 8)} ${e.slice(9, 11)}:${e.slice(11, 13)} UTC (${e})`
      : laptops > 0
        ? ", leases that never expire"
        : "";
  return `${school.hostname}: ${laptops} ${laptops === 1 ? "laptop" : "laptops"}${until}, in ${where}`;
}
