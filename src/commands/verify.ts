// `inventario-leasegen verify [--json] [HOST…]`: proves, without the network, that the leases on
// disk will be accepted (issue 8 §4). Exit 0 when everything holds (notices, issue 16 §15,
// alone included), 1 on a problem, 2 on a usage or configuration error. Reads only: no lock, no write.
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import type { Hostname } from "../core/domain.js";
import { verifyExitCode, verifyJson, verifyText } from "../core/verify-report.js";
import { ExitCode, FatalError } from "../errors.js";
import { readConfigFile } from "../io/config-file.js";
import { StateStore } from "../io/state-store.js";
import { loadPublicKey, type LeasePublicKey } from "../signers/lease-key.js";
import { LeaseVerifier } from "../signers/lease-verifier.js";
import { verifyLeases } from "../verify/verify.js";
import { configPathOf, hostnameArguments, type CommandContext } from "./command.js";

export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command("verify")
    .description("check, without the network, that the leases on disk will be accepted by the laptops")
    .argument("[hosts...]", "only these schools (space- or comma-separated)")
    .option("--json", "print one JSON document instead of lines", false)
    .addHelpText(
      "after",
      `
Checks every lease line of every by-school and by-laptop file as the laptop does
(format, key id, RSA-PSS signature with the recorded UUID, expiry), and the tree.
Differences that can neither lock nor unlock a laptop are notices, with the command
that makes the tree canonical.
Exit status: 0 everything holds (notices alone included), 1 a problem, 2 usage or
configuration error.`,
    )
    .action(async (hosts: string[], opts: { json: boolean }, command: Command) => {
      ctx.setExitCode(await verifyCommand(configPathOf(command), hostnameArguments(hosts), opts.json, ctx));
    });
}

async function verifyCommand(configPath: string, hostnames: Hostname[] | undefined, json: boolean, ctx: CommandContext): Promise<ExitCode> {
  const config = readConfigFile(configPath);
  const key = await loadKey(config.signingKeyPath);
  const verifier = new LeaseVerifier(key, ctx.bundleFile, availableParallelism());
  try {
    const deps = { leasesDir: config.leasesDir, state: new StateStore(config.stateDir), key, verifier, now: new Date() };
    const report = await verifyLeases(deps, hostnames);
    ctx.io.out(json ? verifyJson(report) : verifyText(report));
    return verifyExitCode(report);
  } finally {
    await verifier.close();
  }
}

/** Only the public key: verify works for whoever can read it, without the private key. */
async function loadKey(signingKeyPath: string): Promise<LeasePublicKey> {
  try {
    return await loadPublicKey(signingKeyPath);
  } catch (error) {
    if (error instanceof FatalError) throw new FatalError(error.message, ExitCode.Usage);
    throw error;
  }
}
