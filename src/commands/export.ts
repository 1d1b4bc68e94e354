// `export`: puts schools' leases on a USB stick (or any directory) in the layout an XO or a
// school server's xs-activation reads (SPEC §4). Reads only the by-school files on disk: no
// network, no signing, no lock, so it works while a run is in progress.
import { join } from "node:path";
import { Option, type Command } from "commander";
import { parseHostname, quote, type Hostname, type Parsed } from "../core/domain.js";
import {
  checkSchoolExport,
  exportLine,
  xoLeaseFile,
  xsActivationDirs,
  xsActivationFiles,
  xsActivationPath,
  type SchoolExport,
} from "../core/lease-export.js";
import { ExitCode, FatalError, describe } from "../errors.js";
import { readConfigFile } from "../io/config-file.js";
import { ExportDir } from "../io/export-dir.js";
import { OutputStore } from "../io/output-store.js";
import { StateStore } from "../io/state-store.js";
import { configPathOf, hostArguments, type CommandContext, type CommandIo } from "./command.js";

type Layout = "xo" | "xs-activation";

interface ExportOptions {
  readonly configPath: string;
  readonly to: string;
  readonly layout: Layout;
  /** The schools to export; undefined for every school with a file. */
  readonly hostnames: readonly string[] | undefined;
}

export function registerExport(program: Command, ctx: CommandContext): void {
  program
    .command("export")
    .description("copy schools' leases to a USB stick (or any directory) in the layout an XO or xs-activation reads")
    .argument("[hosts...]", "school hostnames (space- or comma-separated)")
    .requiredOption("--to <dir>", "the directory to write to (it must exist), e.g. a mounted USB stick")
    .addOption(
      new Option("--layout <layout>", "xo: DIR/lease.sig; xs-activation: DIR/xs-activation/<NAME>/")
        .choices(["xo", "xs-activation"])
        .default("xo"),
    )
    .option("--all", "every school that has a by-school file", false)
    .addHelpText(
      "after",
      `
Reads only the by-school files in leases_dir (no network, no lock) and prints one line per
school exported: its laptop count and earliest expiry.
Never follows a symbolic link under DIR (DIR itself may be one).
Exit status: 0 every school exported, 2 usage error or DIR missing or not writable,
3 some schools could not be exported (each is named; the others were).`,
    )
    .action(async (hosts: string[], opts: { to: string; layout: Layout; all: boolean }, command: Command) => {
      if ((hosts.length === 0) === !opts.all) throw new FatalError("export: give either HOST... or --all", ExitCode.Usage);
      const hostnames = hosts.length === 0 ? undefined : hostArguments(hosts);
      ctx.setExitCode(await exportLeases({ configPath: configPathOf(command), to: opts.to, layout: opts.layout, hostnames }, ctx.io));
    });
}

async function exportLeases(options: ExportOptions, io: CommandIo): Promise<ExitCode> {
  const config = readConfigFile(options.configPath);
  const stick = await ExportDir.open(options.to);
  try {
    // The owned schools tell their temporary files apart from schools named like them.
    const outputs = new OutputStore(config.leasesDir, await new StateStore(config.stateDir).ownedSchools());
    let failed = false;
    const fail = (message: string): void => {
      failed = true;
      io.err(`inventario-leasegen: ${message}\n`);
    };
    const hostnames = options.hostnames ?? (await outputs.schoolHostnames());
    if (hostnames.length === 0) fail(`no school files in ${outputs.schoolDir}: nothing to export`);
    const schools = await readSchools(outputs, hostnames, fail);
    if (options.layout === "xo") {
      const refused = schools.length > 0 ? await stick.replaceFiles([], [["lease.sig", xoLeaseFile(schools)]]) : undefined;
      if (refused !== undefined) fail(`${refused}; nothing exported`);
      else for (const school of schools) io.out(`${exportLine(school, join(options.to, "lease.sig"))}\n`);
    } else {
      const { dirs, errors } = xsActivationDirs(schools);
      for (const error of errors) fail(`${error}; nothing exported for it`);
      for (const dir of dirs) {
        const refused = await stick.replaceFiles(xsActivationPath(dir), xsActivationFiles(dir));
        if (refused !== undefined) fail(`${dir.school.hostname}: ${refused}; nothing exported for it`);
        else io.out(`${exportLine(dir.school, join(options.to, ...xsActivationPath(dir), "/"))}\n`);
      }
    }
    return failed ? ExitCode.SomeFailed : ExitCode.Ok;
  } finally {
    await stick.close();
  }
}

/** The schools' files, checked; each school that cannot be exported is reported and left out. */
async function readSchools(outputs: OutputStore, hostnames: readonly string[], fail: (message: string) => void): Promise<SchoolExport[]> {
  const schools: SchoolExport[] = [];
  for (const text of hostnames) {
    const hostname = parseHostname(text);
    if (!hostname.ok) {
      fail(`school ${quote(text)} refused: ${hostname.reason}`);
      continue;
    }
    const school = await readSchool(outputs, hostname.value);
    if (school.ok) schools.push(school.value);
    else fail(`${hostname.value}: ${school.reason}; nothing exported for it`);
  }
  return schools;
}

async function readSchool(outputs: OutputStore, hostname: Hostname): Promise<Parsed<SchoolExport>> {
  const path = outputs.schoolFile(hostname);
  let text: string;
  try {
    text = await outputs.readSchoolFileText(hostname);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return { ok: false, reason: missing ? `no by-school file (${path})` : describe(error) };
  }
  const school = checkSchoolExport(hostname, text);
  return school.ok ? school : { ok: false, reason: `${path} is not a by-school lease file: ${school.reason}` };
}
