// For the end-to-end tests of `status`, `status --check` and the metrics file: expiries a
// number of days ahead, the JSON of `status --json`, and hand edits of the run record.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBundle, type Deployment, type RunResult } from "./harness.js";

export const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
export const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
export const SCHOOL3 = "schoolserver.escuela3.caacupe.paraguayeduca.org";

/** An expiry `days` from now, as inventario renders it. */
export function expiryIn(days: number): string {
  return new Date(Date.now() + days * 86_400_000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

export interface StatusJson {
  schools: {
    hostname: string;
    laptops: number | null;
    leases: number | null;
    unreadable: boolean;
    earliestExpiry: string | null;
    daysLeft: number | null;
    lastSignedAt: string | null;
    staleAt: string | null;
    nextDueAt: string | null;
    listed: boolean | null;
    lastOutcome: { outcome: string; reason: string | null; at: string } | null;
  }[];
  totals: { schools: number; laptops: number; leases: number; outcomes: Record<string, number> };
  lastRun: Record<string, unknown> | null;
  lastSuccessAt: string | null;
  stolenList: { laptops: number; changedAt: string; fetchedAt: string | null } | null;
  unlisted: string[] | null;
  lastRunFailures: { name: string; outcome: string; reason: string }[];
  runInProgress: boolean;
  runStartedAt: string | null;
  problems: { file: string; error: string }[];
}

/** `status --json [args]`, which must exit with `code`. */
export async function statusJson(deployment: Deployment, args: string[] = [], code = 0): Promise<StatusJson> {
  const result = await runBundle(["status", "--json", ...args], deployment);
  assert.equal(result.code, code, result.stderr);
  return JSON.parse(result.stdout) as StatusJson;
}

/** `status --check [args]`: asserts one line, and returns it with the exit status. */
export async function check(deployment: Deployment, args: string[] = []): Promise<RunResult> {
  const result = await runBundle(["status", "--check", ...args], deployment);
  assert.match(result.stdout, /^LEASEGEN (OK|WARNING|CRITICAL|UNKNOWN) - [^\n]+\n$/, `one line: ${result.stdout}`);
  assert.equal(result.stderr, "");
  return result;
}

export const runRecordPath = (deployment: Deployment): string => join(deployment.stateDir, "run-record.json");

/** Edits the run record as an operator with a text editor would. */
export async function editRunRecord(deployment: Deployment, edit: (document: Record<string, unknown>) => void): Promise<void> {
  const document = JSON.parse(await readFile(runRecordPath(deployment), "utf8")) as Record<string, unknown>;
  edit(document);
  await writeFile(runRecordPath(deployment), JSON.stringify(document));
}
