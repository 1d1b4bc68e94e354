// The run (SPEC §7), the program's default command: lock, log, sign, report, exit status.
import { constants, type Stats } from "node:fs";
import { mkdir, open, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import { caFileProblem } from "../core/ca-certificates.js";
import type { Config } from "../core/config.js";
import { exitCodeAfterFailedHook } from "../core/post-hook.js";
import type { RunProgress } from "../core/progress.js";
import { exitCodeOf, summarize, summaryLine, type RunReport } from "../core/report.js";
import { ExitCode, FatalError, describe } from "../errors.js";
import { readConfigFile } from "../io/config-file.js";
import { InventarioClient } from "../io/inventario-client.js";
import { Interruption } from "../io/interruption.js";
import { acquireLock, type Lock } from "../io/lock.js";
import { LogWriteError, openLog, type Log } from "../io/log.js";
import { ThreadedFileWriter, writerThreads } from "../io/file-writer.js";
import { OutputStore } from "../io/output-store.js";
import { ProgressLine } from "../io/progress-line.js";
import { checkSafeDirectories } from "../io/safe-directory-check.js";
import { StateStore, StateWriteError } from "../io/state-store.js";
import { runPostHook } from "../run/post-hook.js";
import { recordRun, recordRunStart } from "../run/record-run.js";
import { run } from "../run/run.js";
import { BiosCryptoSigner } from "../signers/bios-crypto-signer.js";
import { loadLeaseKey, type LeaseKey } from "../signers/lease-key.js";
import { LeaseVerifier } from "../signers/lease-verifier.js";
import { NativeSigner } from "../signers/native-signer.js";
import type { Signer } from "../signers/signer.js";
import { configPathOf, hostArguments, type CommandContext, type CommandIo } from "./command.js";

export interface RunOptions {
  readonly configPath: string;
  readonly force: boolean;
  readonly dryRun: boolean;
  /** From the optional HOST1,HOST2,… argument. */
  readonly hostnames?: string[] | undefined;
}

export function registerRun(program: Command, ctx: CommandContext): void {
  program
    .argument("[hosts]", "comma-separated school hostnames to limit the run to (the school list is then not fetched)")
    .option("-f, --force", "regenerate even schools that are up to date, signing every lease again, and apply held shrinks", false)
    .option("-n, --dry-run", "fetch and report what would be done; write nothing", false)
    .addHelpText(
      "after",
      `
Without a command, runs: signs the leases of every school that needs them.
Exit status: 0 all schools done or up to date, 1 another instance is running,
2 usage or configuration error, 3 one or more schools failed, 4 nothing could be done;
129, 130, 143 interrupted by SIGHUP, SIGINT, SIGTERM (its children stopped, then recorded).
The log is leasegen.log in the configured state_dir.`,
    )
    .action(async (hosts: string | undefined, opts: { force: boolean; dryRun: boolean }, command: Command) => {
      const options = {
        configPath: configPathOf(command),
        force: opts.force,
        dryRun: opts.dryRun,
        hostnames: hosts === undefined ? undefined : hostArguments([hosts]),
      };
      ctx.setExitCode(await runCommand(options, ctx.io, ctx.bundleFile));
    });
}

const stderrLine =
  (io: CommandIo) =>
  (line: string): void =>
    io.err(`inventario-leasegen: ${line}\n`);

async function runCommand(cli: RunOptions, io: CommandIo, bundleFile: string): Promise<number> {
  const config = readConfigFile(cli.configPath);
  // Before anything is written there (the lock and the log included). A dry run writes nothing,
  // so it checks nothing and needs no lock: it never makes a cron run exit 1.
  if (!cli.dryRun) await checkSafeDirectories(config);
  // From before the lock is taken until after it is freed, a signal interrupts the run rather
  // than ending the process with the hook still running (src/io/interruption.ts).
  const interruption = Interruption.listen();
  try {
    const lock = cli.dryRun ? { release: async () => undefined } : await lockDirectories(config);
    if (!lock) {
      io.err("instance already running, aborting...\n");
      return ExitCode.AlreadyRunning;
    }
    try {
      return await runLocked(cli, config, io, bundleFile, interruption, lock);
    } finally {
      await lock.release();
    }
  } finally {
    interruption.dispose();
  }
}

async function runLocked(
  cli: RunOptions,
  config: Config,
  io: CommandIo,
  bundleFile: string,
  interruption: Interruption,
  lock: { readonly warning?: string | undefined },
): Promise<number> {
  const state = new StateStore(config.stateDir);
  const startedAt = new Date();
  const finished = { startedAt, hostnames: cli.hostnames, force: cli.force };
  const stop = interruption.signal;
  // On a terminal, a self-updating progress line; error lines are printed above it.
  const progress = ProgressLine.onTerminal(process.stderr, io.err);
  const shown = progress ? { ...io, err: (text: string) => progress.print(text) } : io;
  let log: Log | undefined;
  try {
    log = openLog(cli.dryRun ? undefined : state.logFile, config.logFormat, stderrLine(shown));
    log.info({ force: cli.force, dryRun: cli.dryRun, hostnames: cli.hostnames, signer: config.signer }, "run started");
    if (lock.warning !== undefined) log.warn({}, lock.warning);
    if (!cli.dryRun) await recordRunStart(config, log, startedAt);
    const report = await runWithConfig({ config, cli, state, log, now: startedAt, progress, bundleFile, stop });
    progress?.clear();
    const hookFailed = !cli.dryRun && (await runPostHook(report, config, log, stop));
    const by = interruption.by;
    const code = interruption.exitCode ?? (hookFailed ? exitCodeAfterFailedHook(exitCodeOf(report)) : exitCodeOf(report));
    // The summary line says the counts (removed schools and a failed stolen list when there are).
    const said = {
      ...summarize(report),
      removedSchools: report.removedSchools.length,
      stolenListFailed: report.stolenError !== undefined,
      seconds: Number(report.seconds.toFixed(3)),
    };
    if (by) log.error({ exitCode: code, signal: by }, `run interrupted by ${by}: ${summaryLine(report)}`, said);
    else log.info({ exitCode: code }, `run finished: ${summaryLine(report)}`, said);
    const error = by && `interrupted by ${by}`;
    if (cli.dryRun) printPlans(report, io);
    else await recordRun(config, state, log, { ...finished, finishedAt: new Date(), exitCode: code, report, error });
    if (process.stdout.isTTY && !cli.dryRun && !by) io.out(`${summaryLine(report)}\n`);
    return code;
  } catch (error) {
    const by = interruption.by;
    // Interrupted, whatever failed on the way out (a request cut off) is the interruption's doing.
    const shownError = by ? new FatalError(`run interrupted by ${by}: ${describe(error)}`, ExitCode.NothingDone) : error;
    const reported = reportRunError(shownError, log, shown);
    const code = interruption.exitCode ?? reported;
    // A run that stopped is recorded too (for status and monitoring), unless it stopped because
    // state_dir or the log cannot be written: then --max-age will tell.
    if (!cli.dryRun && log !== undefined && !(error instanceof LogWriteError) && !(error instanceof StateWriteError)) {
      const stopped = { ...finished, finishedAt: new Date(), exitCode: code, error: by ? `interrupted by ${by}` : describe(error) };
      await recordRun(config, state, log, stopped).catch(() => undefined);
    }
    return code;
  } finally {
    progress?.clear();
    log?.close();
  }
}

/** Locks state_dir and leases_dir (each holds its lock file), creating them first. */
async function lockDirectories(config: Config): Promise<Lock | undefined> {
  for (const [key, dir] of [
    ["state_dir", config.stateDir],
    ["leases_dir", config.leasesDir],
  ] as const) {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem =
        code === "EEXIST" ? "it is not a directory" : code === "ENOTDIR" ? "a part of its path is not a directory" : describe(error);
      throw new FatalError(`cannot use ${key} ${dir}: ${problem}`, ExitCode.NothingDone, { cause: error });
    }
  }
  return acquireLock(config);
}

/**
 * One line on stderr for the error that ended the run, and in the log (with the stack of an
 * unexpected one) while the log can still be written.
 */
function reportRunError(error: unknown, log: Log | undefined, io: CommandIo): ExitCode {
  const fatal = error instanceof FatalError;
  if (log === undefined || error instanceof LogWriteError) stderrLine(io)(describe(error));
  else {
    try {
      log.error({ stack: fatal ? undefined : (error as Error).stack }, describe(error));
    } catch (logError) {
      stderrLine(io)(describe(logError));
    }
  }
  return fatal ? error.exitCode : ExitCode.NothingDone;
}

interface RunSetup {
  readonly config: Config;
  /** The run's interruption (src/io/interruption.ts). */
  readonly stop: AbortSignal;
  readonly cli: RunOptions;
  readonly state: StateStore;
  readonly log: Log;
  readonly now: Date;
  readonly progress: ProgressLine | undefined;
  /** The program's own bundle: the signing and writing threads run it (see index.ts). */
  readonly bundleFile: string;
}

async function runWithConfig({ config, cli, state, log, now, progress, bundleFile, stop }: RunSetup): Promise<RunReport> {
  const key = await loadLeaseKey(config.signingKeyPath);
  if (key.exposed) {
    const fix = "chmod o-rwx it (0640, group inventario-leasegen, is the usual setup)";
    log.warn({}, `warning: ${config.signingKeyPath}.private can be read by other users; ${fix}`, true);
  }
  const extraCa = config.caFile === undefined ? undefined : await readCaFile(config.caFile);
  // A dry run signs nothing: the native signer starts no worker and touches no file until asked
  // (it checks the leases a regeneration would keep).
  const signer = cli.dryRun
    ? new NativeSigner(key, bundleFile, availableParallelism())
    : await makeSigner(config, key, state, log, bundleFile);
  // Writer threads start with the first school to write many files, signing threads with the
  // first lease to sign or keep: a run with nothing to do starts none. The bios-crypto signer has
  // no threads: the leases to keep are checked on threads of their own.
  const writer = new ThreadedFileWriter(bundleFile, writerThreads(availableParallelism()));
  const verifier = signer instanceof NativeSigner ? signer : new LeaseVerifier(key, bundleFile, availableParallelism());
  const inventario = new InventarioClient({
    site: config.site,
    user: config.user,
    pass: config.pass,
    timeoutMs: config.httpTimeoutSeconds * 1000,
    extraCa,
    stop,
  });
  // Interrupted, the signer stops: batches under way fail, make-lease.sh's process groups are killed.
  const stopSigning = (): void => void signer.close();
  stop.addEventListener("abort", stopSigning, { once: true });
  try {
    const policy = { force: cli.force, staleSeconds: config.staleSeconds, maxShrinkPercent: config.maxShrinkPercent, keyId: key.keyId };
    const outputs = new OutputStore(config.leasesDir, await state.ownedSchools(), writer);
    const onProgress = progress && ((p: RunProgress) => progress.update(p));
    const deps = { inventario, signer, verifier, outputs, state, log, now, onProgress, stop };
    return await run(deps, { policy, dryRun: cli.dryRun, hostnames: cli.hostnames });
  } finally {
    stop.removeEventListener("abort", stopSigning);
    inventario.close();
    await Promise.all([signer.close(), writer.close(), verifier === signer ? undefined : verifier.close()]);
  }
}

async function makeSigner(config: Config, key: LeaseKey, state: StateStore, log: Log, bundleFile: string): Promise<Signer> {
  const processes = availableParallelism();
  if (config.signer === "native") return new NativeSigner(key, bundleFile, processes);
  const signer = await BiosCryptoSigner.create({
    biosCryptoPath: config.biosCryptoPath,
    keyPath: config.signingKeyPath,
    key,
    scratchParent: state.dir,
    processes,
    timeoutMs: config.biosCryptoTimeoutSeconds * 1000,
    onStderr: firstFew(
      STDERR_LINES,
      (serial, text) => log.warn({ stderr: text }, `make-lease.sh wrote on stderr for ${serial}`, false, { serial }),
      () => log.warn({}, `make-lease.sh keeps writing on stderr: no more of it is logged in this run`),
    ),
  });
  if (!signer) throw new FatalError(`make-lease.sh not found in ${config.biosCryptoPath} nor its build/`, ExitCode.NothingDone);
  return signer;
}

/** make-lease.sh's messages are logged for the first few laptops of a run, not for thousands. */
const STDERR_LINES = 5;

/** Calls `each` the first `count` times, then `then` once, then nothing. */
function firstFew<A extends unknown[]>(count: number, each: (...args: A) => void, then: () => void): (...args: A) => void {
  let calls = 0;
  return (...args) => {
    calls += 1;
    if (calls <= count) each(...args);
    else if (calls === count + 1) then();
  };
}

async function readCaFile(path: string): Promise<string> {
  const refused = (problem: string): FatalError => new FatalError(`ca_file ${path} ${problem}`, ExitCode.Usage);
  let text: string;
  try {
    // A FIFO would hang the start, a device may act when opened: only a regular file is opened
    // (a link to one is fine), without blocking, and checked again once open.
    const kind = fileKind(await stat(path));
    if (kind !== undefined) throw refused(`is not a regular file but ${kind}`);
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const openKind = fileKind(await handle.stat());
      if (openKind !== undefined) throw refused(`is not a regular file but ${openKind}`);
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof FatalError) throw error;
    throw new FatalError(`cannot read ca_file ${path}: ${describe(error)}`, ExitCode.Usage, { cause: error });
  }
  const problem = caFileProblem(text);
  if (problem !== undefined) throw refused(problem);
  return text;
}

/** What a file that is not a regular file is, in words; undefined for a regular file. */
function fileKind(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  if (info.isFIFO()) return "a FIFO";
  if (info.isDirectory()) return "a directory";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  return info.isSocket() ? "a socket" : "not a file";
}

function printPlans(report: RunReport, io: CommandIo): void {
  io.out(`${summaryLine(report)}\n`);
  for (const school of report.schools) {
    if (school.status === "would regenerate") {
      const counts = `would sign ${school.signed} and keep ${school.kept}`;
      io.out(`${school.hostname}: would regenerate (${school.reason}), ${school.laptops} laptops, expiry ${school.expiry}: ${counts}\n`);
    } else if (school.status === "up to date") io.out(`${school.hostname}: up to date, ${school.laptops} laptops\n`);
    else if (school.status === "failed") io.out(`${school.hostname}: failed: ${school.error}\n`);
  }
  for (const hostname of report.removedSchools) io.out(`${hostname}: would be removed (no longer listed)\n`);
}
