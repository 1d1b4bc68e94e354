// `make bench`: figures, not assertions (issue 5). Starts the test inventario in-process with a
// synthetic deployment, makes a throwaway key, measures the machine's raw signing limit, then
// runs the built bundle twice (a full regeneration on empty directories, then a run with nothing
// changed), then a run after 1% of the laptops changed (churn) and one with the clock moved past
// stale_lease_threshold (every lease due, through libfaketime's faketime), optionally a scaled
// deployment and the bios-crypto signer, and prints a table and, as its last line, one JSON
// object. Exits non-zero only if a run fails, leaves files missing or signs other than it must.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { laptop } from "../test/support/datasets.js";
import { suggestedExpiry } from "../test/support/inventario-server.js";
import { makeKeyPair } from "../test/support/keys.js";
import { churn, filesWritten, laptopFileStamps, listedPairs, type Churn } from "./churn.js";
import { countOutputs, listedSerials, logLinesSince, logSize, makeBenchDeployment, type BenchDeployment } from "./deployment.js";
import { measureLimit } from "./limit.js";
import { combineLimits, limitFigures, limitRows, type Limits } from "./limits.js";
import { liveChildren, runMeasured, type MeasuredRun } from "./measured-run.js";
import { describeOutcomes, describePhases, fixed, runPhases, table, type Row, type RunPhases } from "./report.js";
import { measureVerify, type VerifyTiming } from "./verify-step.js";
import { writerThreads } from "../src/io/file-writer.js";
import { measureWriteLimit, WRITERS } from "./write-limit.js";

interface Settings {
  readonly laptops: number;
  readonly schools: number;
  readonly limitSeconds: number;
  /** A second deployment this many times larger, if more than 1. */
  readonly scale: number;
  /** bios_crypto_path for the bios-crypto run, if LEASEGEN_BENCH_MAKE_LEASE is set. */
  readonly biosCryptoPath: string | undefined;
  readonly biosLaptops: number;
  readonly biosSchools: number;
  /** Where the deployments go: fsync costs depend on the file system. */
  readonly parent: string;
  readonly keep: boolean;
  readonly cpuProfDir: string | undefined;
  /** The cores the program's runs see (LEASEGEN_BENCH_CORES, through cores-preload.ts), if set. */
  readonly cores: number | undefined;
}

class BenchFailure extends Error {}
class UsageError extends Error {}

function positive(name: string, fallback: number, integer = true): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value)))
    throw new UsageError(`${name} must be a positive ${integer ? "integer" : "number"}`);
  return value;
}

function readSettings(): Settings {
  const makeLease = process.env.LEASEGEN_BENCH_MAKE_LEASE || undefined;
  if (makeLease !== undefined && !existsSync(makeLease)) throw new UsageError(`LEASEGEN_BENCH_MAKE_LEASE: ${makeLease} does not exist`);
  const cpuProf = process.env.LEASEGEN_BENCH_CPU_PROF || undefined;
  return {
    laptops: positive("LEASEGEN_BENCH_LAPTOPS", 50_000),
    schools: positive("LEASEGEN_BENCH_SCHOOLS", 250),
    limitSeconds: positive("LEASEGEN_BENCH_LIMIT_SECONDS", 5, false),
    scale: positive("LEASEGEN_BENCH_SCALE", 1, false),
    biosCryptoPath: makeLease === undefined ? undefined : statSync(makeLease).isDirectory() ? makeLease : dirname(makeLease),
    biosLaptops: positive("LEASEGEN_BENCH_BIOS_LAPTOPS", 1_000),
    biosSchools: positive("LEASEGEN_BENCH_BIOS_SCHOOLS", 10),
    parent: process.env.LEASEGEN_BENCH_TMPDIR || tmpdir(),
    keep: process.env.LEASEGEN_BENCH_KEEP === "1",
    cpuProfDir: cpuProf === undefined ? undefined : resolve(cpuProf),
    cores: process.env.LEASEGEN_BENCH_CORES ? positive("LEASEGEN_BENCH_CORES", 1) : undefined,
  };
}

/** Undone in reverse order at the end, on failure, or on SIGINT/SIGTERM. */
const cleanups: (() => Promise<unknown>)[] = [];

async function cleanUp(): Promise<void> {
  for (const child of liveChildren) child.kill("SIGTERM");
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<unknown>)().catch(() => undefined);
}

const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

interface Measured {
  readonly run: MeasuredRun;
  readonly phases: RunPhases | undefined;
}

interface Regeneration {
  readonly deployment: BenchDeployment;
  readonly full: Measured;
  readonly noop: Measured;
  readonly verify: VerifyTiming;
  readonly renewal?: Renewal | undefined;
}

/** The churn run and the every-lease-due run (issue 17). */
interface Renewal {
  readonly churn: Churn;
  readonly churnRun: Measured;
  readonly churnFilesWritten: number;
  /** Undefined when faketime is not installed. */
  readonly due: { readonly run: Measured; readonly leases: number; readonly offset: string } | undefined;
}

/** stale_lease_threshold's default, in days; the every-lease-due run moves the clock a day past it. */
const STALE_DAYS = 7;

/** A full regeneration on empty directories, then a run with nothing changed. */
async function regenerate(
  settings: Settings,
  root: string,
  name: string,
  keyPath: string,
  size: { laptops: number; schools: number },
  extra: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
  withRenewal = false,
): Promise<Regeneration> {
  const dir = join(root, name);
  await mkdir(dir);
  const deployment = await makeBenchDeployment(dir, name, keyPath, size, extra);
  const closeServer = (): Promise<void> => deployment.server.close();
  cleanups.push(closeServer);
  try {
    progress(`${name}: full regeneration of ${deployment.laptops} laptops in ${deployment.schools} schools`);
    const full = await measuredRun(deployment, "full", nodeArgs);
    progress(`${name}: ${full.run.wallSeconds.toFixed(2)} s; now the run with nothing changed`);
    const noop = await measuredRun(deployment, "noop", nodeArgs);
    progress(`${name}: ${noop.run.wallSeconds.toFixed(2)} s; now verify`);
    const verify = await measureVerify(deployment);
    if (verify.run.code !== 0) throw new BenchFailure(`${name} verify exited with ${verify.run.code}:\n${verify.run.stderr.trimEnd()}`);
    const renewal = withRenewal ? await measureRenewal(deployment, nodeArgs) : undefined;
    return { deployment, full, noop, verify, renewal };
  } finally {
    cleanups.splice(cleanups.indexOf(closeServer), 1);
    await closeServer();
    if (!settings.keep) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A day's churn (1% of the laptops, every school), then the clock moved past stale_lease_threshold:
 * the first must sign just the new and changed laptops, the second every lease once.
 */
async function measureRenewal(deployment: BenchDeployment, nodeArgs: readonly string[]): Promise<Renewal> {
  const name = deployment.name;
  const before = await laptopFileStamps(deployment.leasesDir);
  const changed = churn(deployment.server.dataset, 0.01, deployment.laptops);
  const expected = changed.added + changed.changedUuid;
  progress(`${name}: churn: ${changed.added} new laptops, ${changed.removed} gone, ${changed.changedUuid} with a new UUID`);
  const churnRun = await measuredRun(deployment, "churn", nodeArgs);
  const signed = churnRun.phases?.leasesSigned;
  if (signed !== expected) throw new BenchFailure(`${name} churn run signed ${signed} leases, not the ${expected} new and changed laptops`);
  const churnFilesWritten = filesWritten(before, await laptopFileStamps(deployment.leasesDir));
  if (spawnSync("faketime", ["-f", "+0d", "true"]).status !== 0) {
    progress(`${name}: faketime is not installed (packaging/install-test-deps.sh installs it): no every-lease-due run`);
    return { churn: changed, churnRun, churnFilesWritten, due: undefined };
  }
  const offset = `+${STALE_DAYS + 1}d`;
  progress(`${name}: ${churnRun.run.wallSeconds.toFixed(2)} s; now every lease due (faketime ${offset})`);
  const due = await measuredRun(deployment, "due", nodeArgs, ["faketime", "-f", offset]);
  const leases = listedPairs(deployment.server.dataset);
  if (due.phases?.leasesSigned !== leases)
    throw new BenchFailure(`${name} run with every lease due signed ${due.phases?.leasesSigned} leases, not each of the ${leases} once`);
  return { churn: changed, churnRun, churnFilesWritten, due: { run: due, leases, offset } };
}

async function measuredRun(
  deployment: BenchDeployment,
  label: string,
  nodeArgs: readonly string[],
  wrapper: readonly string[] = [],
): Promise<Measured> {
  const offset = await logSize(deployment);
  const run = await runMeasured(["--config", deployment.configPath], join(deployment.dir, `probe-${label}.json`), nodeArgs, wrapper);
  const what = `${deployment.name} ${label} run`;
  if (run.code !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with ${run.code}`;
    throw new BenchFailure(`${what} ${how}${run.stderr ? `:\n${run.stderr.trimEnd()}` : ""}`);
  }
  const outputs = await countOutputs(deployment);
  const laptops = listedSerials(deployment);
  if (outputs.laptopFiles !== laptops || outputs.schoolFiles !== deployment.schools) {
    throw new BenchFailure(
      `${what}: ${outputs.laptopFiles} by-laptop files for ${laptops} laptops, ` +
        `${outputs.schoolFiles} by-school files for ${deployment.schools} schools`,
    );
  }
  return { run, phases: runPhases(run, await logLinesSince(deployment, offset)) };
}

function sampleMessages(): string[] {
  const expiry = suggestedExpiry();
  return Array.from({ length: 64 }, (_, i) => {
    const { serial, uuid } = laptop(i);
    return `${serial}:${uuid as string}:K:${expiry}`;
  });
}

const num = (value: number, digits = 1): string => value.toFixed(digits);
const secs = (value: number): string => `${value.toFixed(2)} s`;
const mb = (value: number): string => `${value.toFixed(1)} MB`;

function cpuNote(run: MeasuredRun): string {
  if (run.cpuSeconds === undefined) return "-";
  const cores = (seconds: number): string => `${num(seconds / run.wallSeconds, 2)} cores`;
  const main = run.mainThreadCpuSeconds === undefined ? "" : `, main thread ${cores(run.mainThreadCpuSeconds)}`;
  const others =
    run.machineBusySeconds === undefined ? "" : `; rest of the machine ${cores(Math.max(0, run.machineBusySeconds - run.cpuSeconds))}`;
  return `${secs(run.cpuSeconds)}: ${cores(run.cpuSeconds)}${main}${others}`;
}

/**
 * The run's CPU per lease against what signing alone and a bare replace take on the limits'
 * threads: a figure that other load on the machine hardly moves, unlike the wall-clock ratio.
 */
function cpuPerLease(run: MeasuredRun, laptops: number, limits: Limits): string {
  const signing = limits.signing.cpuSecondsPerSignature;
  if (run.cpuSeconds === undefined || signing === undefined) return "-";
  const ms = (seconds: number): string => `${(seconds * 1000).toFixed(3)} ms`;
  const perLease = run.cpuSeconds / laptops;
  const write = limits.write.bare.cpuMicrosPerFile / 1e6;
  return `${ms(perLease)} (signing alone ${ms(signing)}, a bare replace ${ms(write)}: their share ${num((signing + write) / perLease, 2)})`;
}

/** Each thread's share of the wall time: the main thread, then the busiest others (signing workers first). */
function threadsNote(run: MeasuredRun, shown: number): string {
  const share = (seconds: number): string => `${Math.round((seconds / run.wallSeconds) * 100)}%`;
  const main = run.mainThreadCpuSeconds === undefined ? "?" : share(run.mainThreadCpuSeconds);
  const others = run.otherThreadsCpuSeconds.slice(0, shown).map(share).join(" ");
  return `main ${main} · others ${others || "-"} (busiest first, ${run.otherThreadsCpuSeconds.length} threads)`;
}

function regenerationRows(regeneration: Regeneration, limits: Limits): Row[] {
  const { deployment, full, noop, verify } = regeneration;
  const rate = deployment.laptops / full.run.wallSeconds;
  const schoolsPhase = full.phases?.schools;
  return [
    [
      "full regeneration, wall",
      secs(full.run.wallSeconds),
      `(at the combined limit: ${secs(deployment.laptops / limits.combinedPerSecond)}; signing alone: ${secs(deployment.laptops / limits.signing.perSecond)})`,
    ],
    ["  leases per second", num(rate), schoolsPhase ? `(${num(deployment.laptops / schoolsPhase)} within the schools phase)` : undefined],
    ["  ratio to limit", num(rate / limits.combinedPerSecond, 3)],
    ["  cpu", cpuNote(full.run)],
    ["  cpu per lease", cpuPerLease(full.run, deployment.laptops, limits)],
    ["  threads busy", threadsNote(full.run, 6)],
    ["  phases", describePhases(full.phases)],
    ["  outcome", describeOutcomes(full.phases)],
    ["  peak rss", mb(full.run.peakRssMb)],
    ["nothing-changed run, wall", secs(noop.run.wallSeconds)],
    ["  cpu", cpuNote(noop.run)],
    ["  threads busy", threadsNote(noop.run, 6)],
    ["  phases", describePhases(noop.phases)],
    ["  outcome", describeOutcomes(noop.phases)],
    ["  peak rss", mb(noop.run.peakRssMb)],
    [
      "verify, wall",
      secs(verify.run.wallSeconds),
      `(reading its ${verify.files} files: ${secs(verify.readSeconds)}; target <= that + 1 s)`,
    ],
    ["  cpu", cpuNote(verify.run)],
    ["  peak rss", mb(verify.run.peakRssMb)],
    ...(regeneration.renewal ? renewalRows(regeneration.renewal, full.run.wallSeconds) : []),
  ];
}

function renewalRows(renewal: Renewal, fullSeconds: number): Row[] {
  const { churn: changed, churnRun, due } = renewal;
  const expected = changed.added + changed.changedUuid;
  const ratio = churnRun.run.wallSeconds / fullSeconds;
  const rows: Row[] = [
    ["churn run (1% changed), wall", secs(churnRun.run.wallSeconds), `(${num(ratio, 3)} of the full regeneration; target <= 0.1)`],
    ["  changed", `${changed.added} new, ${changed.removed} gone, ${changed.changedUuid} new UUID, spread over every school`],
    ["  leases signed", String(churnRun.phases?.leasesSigned), `(the ${expected} new and changed laptops)`],
    ["  laptop files written", String(renewal.churnFilesWritten), "(new inode or time)"],
    ["  cpu", cpuNote(churnRun.run)],
    ["  threads busy", threadsNote(churnRun.run, 8)],
    ["  phases", describePhases(churnRun.phases)],
    ["  outcome", describeOutcomes(churnRun.phases)],
    ["  peak rss", mb(churnRun.run.peakRssMb)],
  ];
  if (due === undefined) return [...rows, ["every lease due", "skipped (faketime is not installed)"]];
  return [
    ...rows,
    [
      `every lease due (clock ${due.offset}), wall`,
      secs(due.run.run.wallSeconds),
      `(${num(due.run.run.wallSeconds / fullSeconds, 2)} of the full regeneration)`,
    ],
    ["  leases signed", String(due.run.phases?.leasesSigned), `(each of the ${due.leases} leases once)`],
    // Under faketime the polled process is faketime's: only the program's own probe is shown.
    ["  cpu", due.run.run.cpuSeconds === undefined ? "-" : secs(due.run.run.cpuSeconds)],
    ["  peak rss", mb(due.run.run.peakRssMb)],
  ];
}

/** The churn figures of the JSON line. */
function renewalFigures(renewal: Renewal | undefined, fullSeconds: number): Record<string, number | null> {
  if (renewal === undefined) return {};
  const { churnRun, due } = renewal;
  return {
    churn_s: fixed(churnRun.run.wallSeconds, 3),
    churn_signed: churnRun.phases?.leasesSigned ?? null,
    churn_laptop_files_written: renewal.churnFilesWritten,
    churn_ratio: fixed(churnRun.run.wallSeconds / fullSeconds, 3),
    due_s: due ? fixed(due.run.run.wallSeconds, 3) : null,
    due_signed: due?.run.phases?.leasesSigned ?? null,
  };
}

function printReport(settings: Settings, limits: Limits, base: Regeneration, scaled?: Regeneration, bios?: Regeneration): void {
  const leasesPerSecond = base.deployment.laptops / base.full.run.wallSeconds;
  const renewalRuns = base.renewal ? [base.renewal.churnRun, ...(base.renewal.due ? [base.renewal.due.run] : [])] : [];
  const peakRss = Math.max(...[base.full, base.noop, ...renewalRuns].map((measured) => measured.run.peakRssMb));
  const rows: Row[] = [
    ["machine", `${cpus().length} cpus, availableParallelism ${availableParallelism()}, node ${process.version}`],
    ...(settings.cores
      ? [
          [
            "program runs see",
            `${settings.cores} cores (LEASEGEN_BENCH_CORES): ${settings.cores} signing and ${writerThreads(settings.cores)} writer threads`,
          ] as Row,
        ]
      : []),
    ["deployments in", settings.parent],
    ["", ""],
    ...limitRows(limits, leasesPerSecond),
    ["noop_s", num(base.noop.run.wallSeconds, 3), "target <= 1.5"],
    ["peak_rss_mb", num(peakRss), "target <= 150 (every run of the program: full, nothing changed, churn, every lease due)"],
    ...(base.renewal
      ? ([
          [
            "churn_ratio",
            num(base.renewal.churnRun.run.wallSeconds / base.full.run.wallSeconds, 3),
            "target <= 0.1 (churn run / full regeneration)",
          ],
        ] as Row[])
      : []),
    ["verify_s", num(base.verify.run.wallSeconds, 3), `target <= read_files_s + 1 (read_files_s ${num(base.verify.readSeconds, 3)})`],
    ["", ""],
    [`${base.deployment.laptops} laptops / ${base.deployment.schools} schools`, ""],
    ...regenerationRows(base, limits),
  ];
  if (scaled) {
    const timeRatio = scaled.full.run.wallSeconds / base.full.run.wallSeconds;
    const rssRatio = scaled.full.run.peakRssMb / base.full.run.peakRssMb;
    rows.push(
      ["", ""],
      [`scale x${settings.scale}: ${scaled.deployment.laptops} laptops / ${scaled.deployment.schools} schools`, ""],
      ...regenerationRows(scaled, limits),
      ["  full time vs base", `x${num(timeRatio, 2)}`, `(ideal x${settings.scale})`],
      ["  full peak rss vs base", `x${num(rssRatio, 2)}`, "(ideal x1)"],
      ["  noop time vs base", `x${num(scaled.noop.run.wallSeconds / base.noop.run.wallSeconds, 2)}`],
    );
  } else rows.push(["", ""], ["scale", "skipped (set LEASEGEN_BENCH_SCALE=4 for a 4x deployment)"]);
  if (bios) {
    rows.push(
      ["", ""],
      [`bios-crypto signer (${settings.biosCryptoPath}): ${bios.deployment.laptops} laptops / ${bios.deployment.schools} schools`, ""],
      // make-lease.sh runs in child processes: their CPU shows as "rest of the machine", not in the run's own figures.
      ...regenerationRows(bios, limits)
        .slice(0, 8)
        .filter(([figure]) => figure !== "  cpu per lease" && figure !== "  threads busy"),
    );
  } else rows.push(["bios-crypto signer", "skipped (set LEASEGEN_BENCH_MAKE_LEASE=/path/to/make-lease.sh)"]);
  console.log(table("inventario-leasegen bench", rows));
  const figures = {
    laptops: base.deployment.laptops,
    schools: base.deployment.schools,
    ...limitFigures(limits, leasesPerSecond),
    noop_s: fixed(base.noop.run.wallSeconds, 3),
    peak_rss_mb: fixed(peakRss, 1),
    verify_s: fixed(base.verify.run.wallSeconds, 3),
    read_files_s: fixed(base.verify.readSeconds, 3),
    ...renewalFigures(base.renewal, base.full.run.wallSeconds),
  };
  console.log(JSON.stringify(figures));
}

async function bench(settings: Settings): Promise<void> {
  const root = await mkdtemp(join(settings.parent, "leasegen-bench-"));
  if (settings.keep) progress(`keeping ${root}`);
  else cleanups.push(() => rm(root, { recursive: true, force: true }));
  const keyPath = await makeKeyPair(root);
  const threads = availableParallelism();
  progress(`raw limit: ${threads} signing threads for ${settings.limitSeconds} s`);
  const signing = await measureLimit(keyPath, threads, settings.limitSeconds, sampleMessages());
  progress(
    `write limit: ${threads} threads replacing files in ${settings.parent}, ${WRITERS.length} writers for ${settings.limitSeconds} s each`,
  );
  const limits = combineLimits(signing, await measureWriteLimit(root, threads, settings.limitSeconds));
  const size = { laptops: settings.laptops, schools: settings.schools };
  const cores = settings.cores ? ["--require", join(__dirname, "cores-preload.js")] : [];
  const profile = settings.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${settings.cpuProfDir}`] : [];
  const base = await regenerate(settings, root, "base", keyPath, size, {}, [...cores, ...profile], true);
  const bigger = { laptops: Math.round(settings.laptops * settings.scale), schools: Math.round(settings.schools * settings.scale) };
  const scaled = settings.scale > 1 ? await regenerate(settings, root, `scale-x${settings.scale}`, keyPath, bigger, {}, cores) : undefined;
  const biosExtra = { signer: "bios-crypto", bios_crypto_path: settings.biosCryptoPath ?? "" };
  const biosSize = { laptops: settings.biosLaptops, schools: settings.biosSchools };
  const bios = settings.biosCryptoPath ? await regenerate(settings, root, "bios-crypto", keyPath, biosSize, biosExtra, cores) : undefined;
  printReport(settings, limits, base, scaled, bios);
}

async function main(): Promise<number> {
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      interrupted = true;
      progress(`${signal}: stopping the run and removing the deployments`);
      void cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
  try {
    await bench(readSettings());
    return 0;
  } catch (error) {
    if (interrupted) return 130;
    if (error instanceof UsageError) {
      progress(error.message);
      return 2;
    }
    progress(error instanceof BenchFailure ? `FAILED: ${error.message}` : `FAILED: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    await cleanUp();
  }
}

void main().then((code) => (process.exitCode = code));
