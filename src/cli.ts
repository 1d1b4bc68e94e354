// The command line (SPEC §7): commander, with the run as the program's own action (cron calls
// it bare) and each other command a module in commands/. Nothing here does the work.
import { Command, CommanderError, Option } from "commander";
import { version } from "../package.json";
import { ExitCode } from "./errors.js";
import { DEFAULT_CONFIG_PATH } from "./io/config-file.js";
import type { CommandContext, CommandIo, RegisterCommand } from "./commands/command.js";
import { registerExport } from "./commands/export.js";
import { registerKeygen } from "./commands/keygen.js";
import { registerRun } from "./commands/run.js";
import { checkUsageError, registerStatus } from "./commands/status.js";
import { registerVerify } from "./commands/verify.js";

/** The commands besides the run, in the order --help lists them. */
const COMMANDS: readonly RegisterCommand[] = [registerStatus, registerVerify, registerExport, registerKeygen];

/** Parses the command line, runs the chosen command, and resolves to the exit status. `bundleFile` is what worker threads run. */
export async function runCommandLine(argv: readonly string[], io: CommandIo, bundleFile: string): Promise<ExitCode | number> {
  let code: ExitCode | number = ExitCode.Ok;
  let commanderErrors = "";
  const ctx: CommandContext = { io, bundleFile, setExitCode: (c) => (code = c) };
  const program = new Command()
    .name("inventario-leasegen")
    .description("Signs OLPC XO activation leases for the laptops inventario knows, school by school.")
    .version(version, "-V, --version")
    .addOption(new Option("-c, --config <path>", "configuration file").default(DEFAULT_CONFIG_PATH))
    .exitOverride()
    // Commander's own errors wait: a monitoring check shows them on its one line instead.
    .configureOutput({ writeOut: io.out, writeErr: (text) => void (commanderErrors += text) })
    .showHelpAfterError("(run with --help for usage)");
  registerRun(program, ctx);
  for (const register of COMMANDS) register(program, ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help")
        return ExitCode.Ok;
      const checkCode = checkUsageError(argv, error.message, io);
      if (checkCode !== undefined) return checkCode;
      io.err(commanderErrors);
      return ExitCode.Usage;
    }
    throw error;
  }
  return code;
}
