// The program's entry: process concerns only (argv, lock, exit status, stdout/stderr).
// The same file is also the body of the native signer's worker threads.
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { isMainThread, workerData } from "node:worker_threads";
import { parseCommandLine, type CliOptions } from "./cli.js";
import type { Config } from "./core/config.js";
import { exitCodeOf, summarize, summaryLine, type RunReport } from "./core/report.js";
import { ExitCode, FatalError, describe } from "./errors.js";
import { readConfigFile } from "./io/config-file.js";
import { InventarioClient } from "./io/inventario-client.js";
import { acquireLock } from "./io/lock.js";
import { openLog, type Log } from "./io/log.js";
import { OutputStore } from "./io/output-store.js";
import { StateStore } from "./io/state-store.js";
import { run } from "./run/run.js";
import { BiosCryptoSigner } from "./signers/bios-crypto-signer.js";
import { loadLeaseKey, type LeaseKey } from "./signers/lease-key.js";
import { NativeSigner } from "./signers/native-signer.js";
import { isSignWorker, runSignWorker } from "./signers/sign-worker.js";
import type { Signer } from "./signers/signer.js";

const BIOS_CRYPTO_TIMEOUT_MS = 60_000;

const stderrLine = (line: string): void => void process.stderr.write(`inventario-leasegen: ${line}\n`);

async function main(argv: readonly string[]): Promise<ExitCode> {
  // Lease files are read by other services (oatslite, xs-activation): 0644 whatever cron's umask.
  process.umask(0o022);
  const cli = parseCommandLine(argv, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
  if (typeof cli === "number") return cli;
  const config = readConfigFile(cli.configPath);
  const lock = await acquireLock(config.stateDir);
  if (!lock) {
    process.stderr.write("instance already running, aborting...\n");
    return ExitCode.AlreadyRunning;
  }
  const state = new StateStore(config.stateDir);
  const log = openLog(state.logFile, stderrLine);
  try {
    log.info({ force: cli.force, dryRun: cli.dryRun, hostnames: cli.hostnames, signer: config.signer }, "run started");
    const report = await runWithConfig(config, cli, state, log);
    const code = exitCodeOf(report);
    const fields = {
      ...summarize(report),
      removedSchools: report.removedSchools.length,
      stolenListFailed: report.stolenError !== undefined,
    };
    log.info({ ...fields, seconds: Number(report.seconds.toFixed(3)), exitCode: code }, `run finished: ${summaryLine(report)}`);
    if (cli.dryRun) printPlans(report);
    if (process.stdout.isTTY) process.stdout.write(`${summaryLine(report)}\n`);
    return code;
  } catch (error) {
    const fatal = error instanceof FatalError;
    log.error({ stack: fatal ? undefined : (error as Error).stack }, describe(error));
    return fatal ? error.exitCode : ExitCode.NothingDone;
  } finally {
    log.flush();
    await lock.release();
  }
}

async function runWithConfig(config: Config, cli: CliOptions, state: StateStore, log: Log): Promise<RunReport> {
  const key = await loadLeaseKey(config.signingKeyPath);
  if (key.exposed) {
    const fix = "chmod o-rwx it (0640, group inventario-leasegen, is the usual setup)";
    log.warn({}, `warning: ${config.signingKeyPath}.private can be read by other users; ${fix}`, true);
  }
  const extraCa = config.caFile === undefined ? undefined : await readCaFile(config.caFile);
  const signer = await makeSigner(config, key, state, log);
  const inventario = new InventarioClient({
    site: config.site,
    user: config.user,
    pass: config.pass,
    timeoutMs: config.httpTimeoutSeconds * 1000,
    extraCa,
  });
  try {
    const policy = { force: cli.force, staleSeconds: config.staleSeconds, maxShrinkPercent: config.maxShrinkPercent };
    const deps = { inventario, signer, outputs: new OutputStore(config.leasesDir), state, log, now: new Date() };
    return await run(deps, { policy, dryRun: cli.dryRun, hostnames: cli.hostnames });
  } finally {
    inventario.close();
    await signer.close();
  }
}

async function makeSigner(config: Config, key: LeaseKey, state: StateStore, log: Log): Promise<Signer> {
  const processes = availableParallelism();
  if (config.signer === "native") return new NativeSigner(key, __filename, processes);
  const signer = await BiosCryptoSigner.create({
    biosCryptoPath: config.biosCryptoPath,
    keyPath: config.signingKeyPath,
    key,
    scratchParent: state.dir,
    processes,
    timeoutMs: BIOS_CRYPTO_TIMEOUT_MS,
    onStderr: (serial, text) => log.warn({ serial, stderr: text }, `make-lease.sh wrote on stderr for ${serial}`),
  });
  if (!signer) throw new FatalError(`make-lease.sh not found in ${config.biosCryptoPath} nor its build/`, ExitCode.NothingDone);
  return signer;
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new FatalError(`cannot read ca_file ${path}: ${describe(error)}`, ExitCode.Usage, { cause: error });
  }
}

function printPlans(report: RunReport): void {
  for (const school of report.schools) {
    if (school.status === "would regenerate")
      process.stdout.write(`${school.hostname}: would regenerate (${school.reason}), ${school.laptops} laptops, expiry ${school.expiry}\n`);
    else if (school.status === "up to date") process.stdout.write(`${school.hostname}: up to date, ${school.laptops} laptops\n`);
    else if (school.status === "failed") process.stdout.write(`${school.hostname}: failed: ${school.error}\n`);
  }
  for (const hostname of report.removedSchools) process.stdout.write(`${hostname}: would be removed (no longer listed)\n`);
}

if (!isMainThread && isSignWorker(workerData)) {
  runSignWorker();
} else {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      const fatal = error instanceof FatalError;
      stderrLine(describe(error));
      if (!fatal) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
      process.exitCode = fatal ? error.exitCode : ExitCode.NothingDone;
    },
  );
}
