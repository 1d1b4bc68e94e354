// What `verify` found, and how it is told: one line per problem naming the file, the serial and
// what is wrong, then a summary; or one JSON document (`--json`, documented in the README).
import { escapeUnsafe } from "./domain.js";
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
}

/** Problems in a stable order, whatever order the checks finished in: by file, then serial. */
export function sortProblems(problems: readonly VerifyProblem[]): VerifyProblem[] {
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...problems].sort((a, b) => order(a.file, b.file) || order(a.serial ?? "", b.serial ?? ""));
}

/** 0 when everything holds; 1 when anything is wrong. Unchecked signatures alone are not wrong. */
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
  lines.push(report.problems.length === 0 ? "OK: every lease will be accepted" : `FAILED: ${plural(report.problems.length, "problem")}`);
  return lines;
}

export function verifyText(report: VerifyReport): string {
  return [...report.problems.map(problemLine), ...verifySummary(report)].map((line) => `${line}\n`).join("");
}

/** The `--json` document. */
export function verifyJson(report: VerifyReport): string {
  const counts = new Map<ProblemKind, number>();
  for (const problem of report.problems) counts.set(problem.kind, (counts.get(problem.kind) ?? 0) + 1);
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
    problemCounts: Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1))),
    problems: report.problems.map((problem) => ({
      file: problem.file,
      serial: problem.serial ?? null,
      kind: problem.kind,
      what: problem.what,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}
