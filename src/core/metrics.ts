// The values of the Prometheus metrics file (`metrics_file`, for node_exporter's textfile
// collector), from the deployment's status just after a run. Formatting is io/metrics-file.ts's.
import type { DeploymentStatus } from "./deployment-status.js";

export interface Sample {
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly value: number;
}

/** One gauge: its name, its HELP text and its samples (none: left out of the file). */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly samples: readonly Sample[];
}

const seconds = (date: Date): number => date.getTime() / 1000;
const one = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ value }]);

export function metricFamilies(status: DeploymentStatus): MetricFamily[] {
  const run = status.lastRun;
  const expiries = status.schools.flatMap((school) => {
    const expiry = school.leases?.earliestExpiry;
    return expiry ? [{ labels: { hostname: school.hostname }, value: seconds(expiry) }] : [];
  });
  const earliest = expiries.length > 0 ? Math.min(...expiries.map((sample) => sample.value)) : undefined;
  const dues = status.schools.flatMap((school) =>
    school.nextDueAt ? [{ labels: { hostname: school.hostname }, value: seconds(school.nextDueAt) }] : [],
  );
  const firstDue = dues.length > 0 ? Math.min(...dues.map((sample) => sample.value)) : undefined;
  return [
    gauge("leasegen_last_run_timestamp_seconds", "When the last run ended (Unix time).", one(run && seconds(run.finishedAt))),
    gauge(
      "leasegen_last_run_exit_status",
      "Exit status of the last run: 0 all done, 3 some failed, 4 nothing could be done.",
      one(run?.exitCode),
    ),
    gauge(
      "leasegen_last_run_duration_seconds",
      "How long the last run took.",
      one(run && (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000),
    ),
    gauge(
      "leasegen_last_success_timestamp_seconds",
      "When the last run over every school that ended with exit status 0 or 3 ended (Unix time).",
      one(status.lastSuccessAt && seconds(status.lastSuccessAt)),
    ),
    gauge(
      "leasegen_schools",
      "Schools by outcome at the last run that looked at them (unknown: none recorded).",
      Object.entries(status.totals.outcomes).map(([outcome, value]) => ({ labels: { outcome: outcome.replace(/ /g, "_") }, value })),
    ),
    gauge("leasegen_last_run_leases_signed", "Leases the last run signed.", one(run?.leasesSigned)),
    gauge("leasegen_laptops_with_lease", "Laptops holding a lease in a by-school file.", one(status.totals.laptops)),
    gauge("leasegen_stolen_laptops", "Laptops on stolen.list.", one(status.stolen?.laptops ?? 0)),
    gauge(
      "leasegen_stolen_list_fetched_timestamp_seconds",
      "When inventario last gave the stolen list (Unix time).",
      one(status.stolen?.fetchedAt && seconds(status.stolen.fetchedAt)),
    ),
    gauge(
      "leasegen_unreadable_files",
      "Lease or state files that could not be read when this file was written.",
      one(status.problems.length),
    ),
    gauge("leasegen_earliest_lease_expiry_timestamp_seconds", "The earliest lease expiry of all schools (Unix time).", one(earliest)),
    gauge("leasegen_school_earliest_lease_expiry_timestamp_seconds", "Each school's earliest lease expiry (Unix time).", expiries),
    gauge(
      "leasegen_next_lease_due_timestamp_seconds",
      "When a run will next sign a lease of any school though nothing changed (Unix time).",
      one(firstDue),
    ),
    gauge(
      "leasegen_school_next_lease_due_timestamp_seconds",
      "When a run will next sign one of each school's leases though nothing changed (Unix time; left out when the next run checks them).",
      dues,
    ),
  ];
}

/**
 * Written into the file when a run starts, and left out by the full rewrite when it ends: one
 * that stays for long is a run that hangs, or one that died before its end.
 */
export const RUN_STARTED = "leasegen_run_started_timestamp_seconds";

export function runStartedFamily(startedAt: Date): MetricFamily {
  return gauge(RUN_STARTED, "When the run in progress started (Unix time); absent when none is.", [{ value: seconds(startedAt) }]);
}

/**
 * Text-format metrics (families separated by a blank line, as io/metrics-file.ts writes them)
 * with the family `name` taken out and `family` (its text) put last.
 */
export function withFamilyReplaced(text: string, name: string, family: string): string {
  const isThatFamily = (block: string): boolean => block.startsWith(`# HELP ${name} `) || block.startsWith(`# TYPE ${name} `);
  const kept = text
    .split("\n\n")
    .map((block) => block.replace(/^\n+|\n+$/g, ""))
    .filter((block) => block !== "" && !isThatFamily(block));
  return `${[...kept, family.replace(/\n+$/, "")].join("\n\n")}\n`;
}

function gauge(name: string, help: string, samples: readonly Sample[]): MetricFamily {
  return { name, help, samples };
}
