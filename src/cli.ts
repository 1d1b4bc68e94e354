// The command line (SPEC §7), parsed by commander into validated options. Nothing here runs.
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_CONFIG_PATH } from "./io/config-file.js";
import { ExitCode, FatalError } from "./errors.js";
import { version } from "../package.json";

export interface CliOptions {
  readonly configPath: string;
  readonly force: boolean;
  readonly dryRun: boolean;
  /** From the optional HOST1,HOST2,… argument. */
  readonly hostnames?: string[] | undefined;
}

/** The options to run with, or the exit status when there is nothing to run (help, version, usage error). */
export function parseCommandLine(
  argv: readonly string[],
  write: { out: (s: string) => void; err: (s: string) => void },
): CliOptions | ExitCode {
  const program = new Command()
    .name("inventario-leasegen")
    .description("Signs OLPC XO activation leases for the laptops inventario knows, school by school.")
    .version(version, "-V, --version")
    .argument("[hosts]", "comma-separated school hostnames to limit the run to (the school list is then not fetched)")
    .addOption(new Option("-c, --config <path>", "configuration file").default(DEFAULT_CONFIG_PATH))
    .option("-f, --force", "regenerate even schools that are up to date, and apply held shrinks", false)
    .option("-n, --dry-run", "fetch and report what would be done; write nothing", false)
    .addHelpText(
      "after",
      `
Exit status: 0 all schools done or up to date, 1 another instance is running,
2 usage or configuration error, 3 one or more schools failed, 4 nothing could be done.
The log is leasegen.log in the configured state_dir.`,
    )
    .exitOverride()
    .configureOutput({ writeOut: write.out, writeErr: write.err })
    .showHelpAfterError("(run with --help for usage)");
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? ExitCode.Ok : ExitCode.Usage;
    }
    throw error;
  }
  const opts = program.opts<{ config: string; force: boolean; dryRun: boolean }>();
  const hosts = program.args[0];
  return {
    configPath: opts.config,
    force: opts.force,
    dryRun: opts.dryRun,
    hostnames: hosts === undefined ? undefined : splitHosts(hosts),
  };
}

function splitHosts(text: string): string[] {
  const hostnames = text.split(",").map((host) => host.trim());
  if (hostnames.some((host) => host === "")) throw new FatalError(`empty hostname in "${text}"`, ExitCode.Usage);
  return hostnames;
}
