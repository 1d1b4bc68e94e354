// `make bench`: figures, not assertions (issue 5). Starts the test inventario in-process with a
// synthetic deployment, makes a throwaway key, measures the machine's raw signing limit, then
// runs the built bundle twice (a full regeneration on empty directories, then a run with nothing
// changed), optionally a scaled deployment and the bios-crypto signer, and prints a table and,
// as its last line, one JSON object. Exits non-zero only if a run fails or leaves files missing.
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { laptop } from "../test/support/datasets.js";
import { suggestedExpiry } from "../test/support/inventario-server.js";
import { makeKeyPair } from "../test/support/keys.js";
import { countOutputs, logLinesSince, logSize, makeBenchDeployment, type BenchDeployment } from "./deployment.js";
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
}

/** A full regeneration on empty directories, then a run with nothing changed. */
async function regenerate(
  settings: Settings,
  root: string,
  name: string,
  keyPath: string,
  size: { laptops: number; schools: number },
  extra: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
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
    return { deployment, full, noop, verify };
  } finally {
    cleanups.splice(cleanups.indexOf(closeServer), 1);
    await closeServer();
    if (!settings.keep) await rm(dir, { recursive: true, force: true });
  }
}

async function measuredRun(deployment: BenchDeployment, label: string, nodeArgs: readonly string[]): Promise<Measured> {
  const offset = await logSize(deployment);
  const run = await runMeasured(["--config", deployment.configPath], join(deployment.dir, `probe-${label}.json`), nodeArgs);
  const what = `${deployment.name} ${label} run`;
  if (run.code !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with ${run.code}`;
    throw new BenchFailure(`${what} ${how}${run.stderr ? `:\n${run.stderr.trimEnd()}` : ""}`);
  }
  const outputs = await countOutputs(deployment);
  if (outputs.laptopFiles !== deployment.laptops || outputs.schoolFiles !== deployment.schools) {
    throw new BenchFailure(
      `${what}: ${outputs.laptopFiles} by-laptop files for ${deployment.laptops} laptops, ` +
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
  ];
}

function printReport(settings: Settings, limits: Limits, base: Regeneration, scaled?: Regeneration, bios?: Regeneration): void {
  const leasesPerSecond = base.deployment.laptops / base.full.run.wallSeconds;
  const peakRss = Math.max(base.full.run.peakRssMb, base.noop.run.peakRssMb);
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
    ["peak_rss_mb", num(peakRss), "target <= 150"],
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
  const base = await regenerate(settings, root, "base", keyPath, size, {}, [...cores, ...profile]);
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
