// `status [--json] [HOST…]` and `status --check`: the deployment at a glance, from local files
// only (no network, no lock), for an operator or a monitoring system.
import type { Command } from "commander";
import { isUnknownSchool, type DeploymentStatus } from "../core/deployment-status.js";
import { CheckState, DEFAULT_THRESHOLDS, checkStatus, unknownCheck, type Thresholds } from "../core/status-check.js";
import { printable, statusDocument, statusText } from "../core/status-output.js";
import { ExitCode, FatalError, describe } from "../errors.js";
import { readConfigFile } from "../io/config-file.js";
import { readDeploymentStatus } from "../io/deployment-reader.js";
import { configPathOf, hostnameArguments, type CommandContext, type CommandIo } from "./command.js";

interface StatusOptions {
  readonly json?: boolean;
  readonly check?: boolean;
  readonly warning?: string;
  readonly critical?: string;
  readonly maxAge?: string;
  readonly maxRun?: string;
}

export function registerStatus(program: Command, ctx: CommandContext): void {
  program
    .command("status")
    .description("show each school's leases, most urgent first, and the last run (local files only: no network, no lock)")
    .argument("[hosts...]", "only these schools (space- or comma-separated hostnames)")
    .option("--json", "print the same as one JSON document")
    .option("--check", "print one Monitoring Plugins line; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN")
    .option(
      "--warning <days>",
      `with --check: WARNING when a school's leases expire within DAYS (default ${DEFAULT_THRESHOLDS.warningDays})`,
    )
    .option(
      "--critical <days>",
      `with --check: CRITICAL when a school's leases expire within DAYS (default ${DEFAULT_THRESHOLDS.criticalDays})`,
    )
    .option(
      "--max-age <hours>",
      `with --check: CRITICAL when no run over every school ended with exit 0 or 3 within HOURS (default ${DEFAULT_THRESHOLDS.maxAgeHours})`,
    )
    .option(
      "--max-run <hours>",
      `with --check: WARNING when a run has been in progress for more than HOURS (default ${DEFAULT_THRESHOLDS.maxRunHours}), or than --max-age`,
    )
    .addHelpText(
      "after",
      `
Exit status: 0 shown; 2 usage or configuration error; 3 some file could not be read (named on stderr).
With --check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (records unreadable, bad options).`,
    )
    .action(async (hosts: string[], opts: StatusOptions, command: Command) => {
      const run = opts.check ? checkCommand : statusCommand;
      ctx.setExitCode(await run(configPathOf(command), hosts, opts, ctx.io));
    });
}

async function statusCommand(configPath: string, hosts: readonly string[], opts: StatusOptions, io: CommandIo): Promise<ExitCode> {
  if (opts.warning ?? opts.critical ?? opts.maxAge ?? opts.maxRun)
    throw new FatalError("--warning, --critical, --max-age and --max-run go with --check", ExitCode.Usage);
  const status = await readStatus(configPath, hosts);
  io.out(opts.json ? `${JSON.stringify(statusDocument(status), null, 2)}\n` : statusText(status));
  for (const problem of status.problems) io.err(`inventario-leasegen: cannot read ${problem.file}: ${printable(problem.error)}\n`);
  return status.problems.length > 0 ? ExitCode.SomeFailed : ExitCode.Ok;
}

/**
 * A command line that asked for `status --check` but that commander refused (an unknown option):
 * UNKNOWN on one line, as the Monitoring Plugins guidelines want for bad arguments, not exit 2
 * (which a monitoring system reads as CRITICAL). Undefined for any other command line.
 */
export function checkUsageError(argv: readonly string[], message: string, io: CommandIo): ExitCode | undefined {
  if (!argv.includes("status") || !argv.includes("--check")) return undefined;
  const result = unknownCheck(message.replace(/^error: /, ""));
  io.out(result.line);
  return result.state as CheckState as ExitCode;
}

/** Whatever goes wrong is UNKNOWN, on one line: a monitoring system reads nothing else. */
async function checkCommand(configPath: string, hosts: readonly string[], opts: StatusOptions, io: CommandIo): Promise<ExitCode> {
  let result;
  try {
    const thresholds = thresholdsOf(opts);
    result = checkStatus(await readStatus(configPath, hosts), thresholds);
  } catch (error) {
    result = unknownCheck(describe(error));
  }
  io.out(result.line);
  // The plugin states 0-3 are exit statuses of their own, not the run's.
  return result.state as CheckState as ExitCode;
}

async function readStatus(configPath: string, hosts: readonly string[]): Promise<DeploymentStatus> {
  const config = readConfigFile(configPath);
  const status = await readDeploymentStatus(config, new Date(), { only: hostnameArguments(hosts) });
  const unknown = status.schools.filter(isUnknownSchool).map((school) => school.hostname);
  if (unknown.length > 0)
    throw new FatalError(`no such school here (no lease file, checksum or recorded outcome): ${unknown.join(", ")}`, ExitCode.Usage);
  return status;
}

function thresholdsOf(opts: StatusOptions): Thresholds {
  const number = (text: string | undefined, option: string, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(value > 0)) throw new FatalError(`${option} must be a positive number, not ${JSON.stringify(text)}`, ExitCode.Usage);
    return value;
  };
  const thresholds = {
    warningDays: number(opts.warning, "--warning", DEFAULT_THRESHOLDS.warningDays),
    criticalDays: number(opts.critical, "--critical", DEFAULT_THRESHOLDS.criticalDays),
    maxAgeHours: number(opts.maxAge, "--max-age", DEFAULT_THRESHOLDS.maxAgeHours),
    maxRunHours: number(opts.maxRun, "--max-run", DEFAULT_THRESHOLDS.maxRunHours),
  };
  if (thresholds.criticalDays > thresholds.warningDays) throw new FatalError("--critical must not be more than --warning", ExitCode.Usage);
  return thresholds;
}
