// `keygen PREFIX`: a new lease key pair in bios-crypto's format (SPEC §3), for test deployments,
// trials and the demo. A deployment's real key is made at its own key ceremony: laptops only
// accept leases signed with the key their firmware holds.
import type { Command } from "commander";
import { ExitCode, FatalError, describe } from "../errors.js";
import { createNewFiles } from "../io/new-files.js";
import { generateLeaseKeyPair, loadLeaseKey } from "../signers/lease-key.js";
import type { CommandContext, CommandIo } from "./command.js";

export function registerKeygen(program: Command, ctx: CommandContext): void {
  program
    .command("keygen")
    .description("write a new lease key pair, PREFIX.private (0600) and PREFIX.public (0644), for tests and trials")
    .argument("<prefix>", "path of the key files without .private / .public")
    .action(async (prefix: string) => ctx.setExitCode(await keygen(prefix, ctx.io)));
}

async function keygen(prefix: string, io: CommandIo): Promise<ExitCode> {
  const { privateDer, publicDer } = await generateLeaseKeyPair();
  const files = [
    { path: `${prefix}.private`, data: privateDer, mode: 0o600 },
    { path: `${prefix}.public`, data: publicDer, mode: 0o644 },
  ];
  await createNewFiles(files).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === "EEXIST" ? `${error.path ?? prefix} already exists: a key is never overwritten` : describe(error);
    throw new FatalError(`keygen: ${why}; nothing written`, ExitCode.Usage, { cause: error });
  });
  // Read back as a run reads it: the pair is checked, and the key id computed the one way.
  const key = await loadLeaseKey(prefix);
  io.out(
    `wrote ${prefix}.private (mode 0600) and ${prefix}.public (mode 0644)\n` +
      `key id: ${key.keyId}\n` +
      "For tests, trials and demos: XO laptops accept only leases signed with the key their firmware\n" +
      "holds, so a deployment's real lease key comes from its own key ceremony, not from this command.\n",
  );
  return ExitCode.Ok;
}
