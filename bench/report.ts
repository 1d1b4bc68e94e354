// What the bench prints: where a run's time went, read from the program's own log, and the table.
import type { LogLine } from "./deployment.js";
import type { MeasuredRun } from "./measured-run.js";

/** A run cut in phases by the log's timestamps (millisecond resolution), in seconds. */
export interface RunPhases {
  /** Spawn to "run started": node start, bundle load, config, lock, log. */
  readonly startup: number;
  /** "run started" to the last school's line: key, workers, stolen list, school list, schools. */
  readonly schools: number;
  /** Last school's line to "run finished": vanished schools and the sweep of by-laptop/. */
  readonly finish: number;
  /** "run finished" to exit: closing the workers, flushing, process exit. */
  readonly teardown: number;
  readonly regenerated: number;
  readonly upToDate: number;
  readonly failed: number;
  readonly leasesSigned: number;
  /** Per-school milliseconds (look to commit, overlapping with the neighbours). */
  readonly schoolMsMedian: number;
  readonly schoolMsMax: number;
}

export function runPhases(run: MeasuredRun, lines: readonly LogLine[]): RunPhases | undefined {
  const at = (line: LogLine | undefined): number | undefined => (line ? Date.parse(line.time) : undefined);
  const started = at(lines.find((line) => line.msg === "run started"));
  const finishedLine = lines.find((line) => line.msg.startsWith("run finished"));
  const finished = at(finishedLine);
  if (started === undefined || finished === undefined || !finishedLine) return undefined;
  const schoolLines = lines.filter((line) => typeof line.action === "string" && typeof line.ms === "number");
  const lastSchool = at(schoolLines[schoolLines.length - 1]) ?? started;
  const ms = schoolLines.map((line) => line.ms as number).sort((a, b) => a - b);
  const count = (field: string): number => (typeof finishedLine[field] === "number" ? (finishedLine[field] as number) : 0);
  return {
    startup: (started - run.spawnedAt) / 1000,
    schools: (lastSchool - started) / 1000,
    finish: (finished - lastSchool) / 1000,
    teardown: (run.exitedAt - finished) / 1000,
    regenerated: count("regenerated"),
    upToDate: count("upToDate"),
    failed: count("failed"),
    leasesSigned: count("leasesSigned"),
    schoolMsMedian: ms[Math.floor(ms.length / 2)] ?? 0,
    schoolMsMax: ms[ms.length - 1] ?? 0,
  };
}

export function describePhases(phases: RunPhases | undefined): string {
  if (!phases) return "(no run started/finished lines in the log)";
  const s = (seconds: number): string => `${seconds.toFixed(2)} s`;
  return `startup ${s(phases.startup)} · schools ${s(phases.schools)} · finish/sweep ${s(phases.finish)} · teardown ${s(phases.teardown)}`;
}

export function describeOutcomes(phases: RunPhases | undefined): string {
  if (!phases) return "-";
  return (
    `${phases.regenerated} regenerated, ${phases.upToDate} up to date, ${phases.failed} failed, ${phases.leasesSigned} signed; ` +
    `school ms median ${phases.schoolMsMedian}, max ${phases.schoolMsMax}`
  );
}

export type Row = readonly [figure: string, value: string, target?: string | undefined];

/** Rows as an aligned text table; a row with an empty figure and value is a section heading. */
export function table(title: string, rows: readonly Row[]): string {
  // Headings (no value) and notes (no target) run on instead of widening their column.
  const width = [
    Math.max(...rows.filter(([, value]) => value !== "").map(([figure]) => figure.length)),
    Math.max(...rows.filter(([, , target]) => target !== undefined).map(([, value]) => value.length)),
  ];
  const lines = rows.map(([figure, value, target]) =>
    `  ${figure.padEnd(width[0] as number)}  ${value.padEnd(width[1] as number)}  ${target ?? ""}`.trimEnd(),
  );
  return [title, ...lines].join("\n");
}

export const fixed = (value: number, digits: number): number => Number(value.toFixed(digits));
