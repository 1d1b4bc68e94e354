// What every command module shares: where its output goes, how it reports its exit status,
// and the --config option that every command reads (defined once, on the program).
import type { Command } from "commander";
import { parseHostname, quote, type Hostname } from "../core/domain.js";
import { ExitCode, FatalError } from "../errors.js";

export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface CommandContext {
  readonly io: CommandIo;
  /** The program's own bundle file, which worker threads (signers, verifiers, writers) run. */
  readonly bundleFile: string;
  /** The command's exit status, once its action has finished: an ExitCode, or 128 + a signal's number for an interrupted run. */
  readonly setExitCode: (code: ExitCode | number) => void;
}

/** A command module adds itself to the program (the run is the program itself). */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** The configuration path, wherever on the command line --config was given. */
export function configPathOf(command: Command): string {
  return command.optsWithGlobals<{ config: string }>().config;
}

/**
 * The school hostnames that HOST arguments name: each argument one name or several,
 * comma-separated, so `a b`, `a,b` and `a, b` name the same two schools, each once. Trailing
 * commas add no name, as with the Ruby program's split(","); an argument that names no school,
 * or an empty name between commas, is a usage error (an empty NRPE macro must not mean "all").
 */
export function hostArguments(args: readonly string[]): string[] {
  const hostnames = args.flatMap((arg) => {
    const names = arg.split(",").map((host) => host.trim());
    while (names.at(-1) === "") names.pop();
    if (names.length === 0) throw new FatalError(`no hostname in ${quote(arg)}`, ExitCode.Usage);
    if (names.includes("")) throw new FatalError(`empty hostname in ${quote(arg)}`, ExitCode.Usage);
    return names;
  });
  return [...new Set(hostnames)];
}

/** `hostArguments`, each a hostname safe as a file name (a usage error otherwise); undefined for none given. */
export function hostnameArguments(args: readonly string[]): Hostname[] | undefined {
  if (args.length === 0) return undefined;
  return hostArguments(args).map((text) => {
    const hostname = parseHostname(text);
    if (!hostname.ok) throw new FatalError(hostname.reason, ExitCode.Usage);
    return hostname.value;
  });
}
