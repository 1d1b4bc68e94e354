// What `verify` found, and how it is told: one line per problem naming the file, the serial and
// what is wrong, one per notice (a difference from the canonical tree that can neither lock nor
// unlock a laptop), then a summary with the command that makes the tree canonical; or one JSON
// document (`--json`, documented in the README). Only problems make the exit status 1.
import { byteOrder, escapeUnsafe } from "./domain.js";
import type { LeaseProblem, ProblemKind } from "./lease-check.js";

export interface VerifyProblem extends LeaseProblem {
  /** The file concerned, as a path. */
  readonly file: string;
  readonly serial?: string | undefined;
}

/** A school whose signed record is missing: its leases got every check but the signature. */
export interface UnrecordedSchool {
  readonly hostname: string;
  readonly leases: number;
}

export interface VerifyReport {
  readonly leasesDir: string;
  readonly checkedAt: Date;
  /** Whether the whole tree was checked (no HOST given): orphans and stray files are looked for only then. */
  readonly wholeTree: boolean;
  readonly schools: number;
  readonly laptopFiles: number;
  readonly leaseLines: number;
  readonly signaturesVerified: number;
  readonly signaturesNotChecked: number;
  readonly unrecordedSchools: readonly UnrecordedSchool[];
  readonly stolen: number;
  readonly problems: readonly VerifyProblem[];
  readonly notices: readonly VerifyProblem[];
  /** The command that makes the tree canonical; undefined without notices. */
  readonly canonicalCommand?: string | undefined;
}

/** Beyond this many schools to force, forcing every school is the simpler command. */
const FEW_SCHOOLS = 10;

/**
 * The command that puts the notices right: forcing the schools they name (a forced school's run
 * writes its laptop files with every school's lines, and its sweep removes temporary and
 * misplaced files, which `anySchool` stands for when no notice names a school).
 */
export function canonicalCommand(notices: readonly VerifyProblem[], anySchool: string | undefined): string | undefined {
  if (notices.length === 0) return undefined;
  const named = [...new Set(notices.flatMap((notice) => notice.schools ?? []))].sort(byteOrder);
  const schools = named.length > 0 ? named : anySchool === undefined ? [] : [anySchool];
  if (schools.length === 0 || schools.length > FEW_SCHOOLS) return "inventario-leasegen --force";
  return `inventario-leasegen --force ${schools.join(",")}`;
}

/** Problems in a stable order, whatever order the checks finished in: by file, then serial. */
export function sortProblems(problems: readonly VerifyProblem[]): VerifyProblem[] {
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...problems].sort((a, b) => order(a.file, b.file) || order(a.serial ?? "", b.serial ?? ""));
}

/** 0 when everything holds; 1 when anything is wrong. Unchecked signatures and notices alone are not wrong. */
export function verifyExitCode(report: VerifyReport): 0 | 1 {
  return report.problems.length === 0 ? 0 : 1;
}

/** A path from disk, shown on one line whatever bytes its name holds. */
function shown(path: string): string {
  const json = escapeUnsafe(JSON.stringify(path));
  return json === `"${path}"` ? path : json;
}

export function problemLine(problem: VerifyProblem): string {
  return `${shown(problem.file)}: ${problem.serial === undefined ? "" : `${problem.serial}: `}${problem.what}`;
}

export function noticeLine(notice: VerifyProblem): string {
  return `${shown(notice.file)}: ${notice.serial === undefined ? "" : `${notice.serial}: `}notice: ${notice.what}`;
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The summary after the problem lines. */
export function verifySummary(report: VerifyReport): string[] {
  const scope = report.wholeTree ? "" : " (only the schools named: orphan and stray files not looked for)";
  const lines = [
    `${report.leasesDir}: ${plural(report.schools, "school file")}, ${plural(report.laptopFiles, "laptop file")}, ${plural(report.leaseLines, "lease line")} checked${scope}`,
    `${plural(report.signaturesVerified, "signature")} verified, ${report.signaturesNotChecked} not checked`,
  ];
  if (report.unrecordedSchools.length > 0) {
    const first = report.unrecordedSchools.slice(0, 5).map((school) => school.hostname);
    const more = report.unrecordedSchools.length > first.length ? ` and ${report.unrecordedSchools.length - first.length} more` : "";
    lines.push(
      `signature not checked for ${plural(report.signaturesNotChecked, "lease line")}: no record of the UUIDs they were signed for (leases from the Ruby program?) in ${plural(report.unrecordedSchools.length, "school")}: ${first.join(", ")}${more}; run inventario-leasegen --force HOST once for each to record them`,
    );
  }
  if (report.notices.length > 0) {
    const fix = report.canonicalCommand === undefined ? "" : `; ${report.canonicalCommand} makes the tree canonical`;
    lines.push(`${plural(report.notices.length, "notice")}: differences that can neither lock nor unlock a laptop${fix}`);
  }
  lines.push(report.problems.length === 0 ? "OK: every lease will be accepted" : `FAILED: ${plural(report.problems.length, "problem")}`);
  return lines;
}

export function verifyText(report: VerifyReport): string {
  return [...report.problems.map(problemLine), ...report.notices.map(noticeLine), ...verifySummary(report)]
    .map((line) => `${line}\n`)
    .join("");
}

/** The `--json` document. */
export function verifyJson(report: VerifyReport): string {
  const document = {
    ok: report.problems.length === 0,
    leasesDir: report.leasesDir,
    checkedAt: report.checkedAt.toISOString(),
    wholeTree: report.wholeTree,
    schools: report.schools,
    laptopFiles: report.laptopFiles,
    leaseLines: report.leaseLines,
    signaturesVerified: report.signaturesVerified,
    signaturesNotChecked: report.signaturesNotChecked,
    unrecordedSchools: report.unrecordedSchools,
    stolen: report.stolen,
    problemCounts: countsByKind(report.problems),
    problems: report.problems.map(findingJson),
    noticeCounts: countsByKind(report.notices),
    notices: report.notices.map((notice) => ({ ...findingJson(notice), schools: notice.schools ?? [] })),
    canonicalCommand: report.canonicalCommand ?? null,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function findingJson(found: VerifyProblem): { file: string; serial: string | null; kind: ProblemKind; what: string } {
  return { file: found.file, serial: found.serial ?? null, kind: found.kind, what: found.what };
}

function countsByKind(found: readonly VerifyProblem[]): Record<string, number> {
  const counts = new Map<ProblemKind, number>();
  for (const item of found) counts.set(item.kind, (counts.get(item.kind) ?? 0) + 1);
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
}
