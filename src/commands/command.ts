// What every command module shares: where its output goes, how it reports its exit status,
// and the --config option that every command reads (defined once, on the program).
import type { Command } from "commander";
import type { ExitCode } from "../errors.js";

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
