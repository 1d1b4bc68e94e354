// The external signer: OLPC's bios-crypto `make-lease.sh`, one process per lease, several at
// once. Arguments go as a vector through bash, never through a shell string. The script
// writes to /dev/stdout and /dev/stderr, which cannot be opened when they are sockets (what
// Node's pipes are), so the lease goes to an output file (its fifth argument) and its
// messages to a file given as stderr.
import { spawn } from "node:child_process";
import { access, mkdtemp, open, readFile, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Expiry, Laptop } from "../core/domain.js";
import { isLeaseLineFor, signedMessage } from "../core/lease.js";
import { SignerError, describe } from "../errors.js";
import { eachLimited } from "../io/each-limited.js";
import type { LeaseKey } from "./lease-key.js";
import { verifyLeaseSignature } from "./lease-signature.js";
import type { Signer } from "./signer.js";

const SCRATCH_PREFIX = ".make-lease-";

export interface BiosCryptoOptions {
  /** `bios_crypto_path`: the directory holding make-lease.sh, or a checkout whose build/ does. */
  readonly biosCryptoPath: string;
  readonly keyPath: string;
  readonly key: LeaseKey;
  /** Where the per-lease scratch files go (inside the state directory). */
  readonly scratchParent: string;
  readonly processes: number;
  readonly timeoutMs: number;
  /** Receives what the script wrote on stderr. */
  readonly onStderr: (serial: string, text: string) => void;
}

/** Finds make-lease.sh in the directory or its build/; undefined if neither has it. */
export async function findMakeLease(biosCryptoPath: string): Promise<string | undefined> {
  for (const candidate of [join(biosCryptoPath, "make-lease.sh"), join(biosCryptoPath, "build", "make-lease.sh")]) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next place
    }
  }
  return undefined;
}

export class BiosCryptoSigner implements Signer {
  private constructor(
    private readonly script: string,
    private readonly options: BiosCryptoOptions,
  ) {}

  static async create(options: BiosCryptoOptions): Promise<BiosCryptoSigner | undefined> {
    const script = await findMakeLease(options.biosCryptoPath);
    if (script === undefined) return undefined;
    // Scratch folders of a run that was killed while signing (the lock says none is running).
    const leftovers = (await readdir(options.scratchParent).catch(() => [])).filter((name) => name.startsWith(SCRATCH_PREFIX));
    await Promise.all(leftovers.map((name) => rm(join(options.scratchParent, name), { recursive: true, force: true })));
    return new BiosCryptoSigner(script, options);
  }

  async signSchool(laptops: readonly Laptop[], expiry: Expiry): Promise<string[]> {
    const scratch = await mkdtemp(join(this.options.scratchParent, SCRATCH_PREFIX));
    try {
      const leases: string[] = new Array<string>(laptops.length);
      await eachLimited([...laptops.keys()], this.options.processes, async (i) => {
        leases[i] = await this.signOne(laptops[i] as Laptop, expiry, join(scratch, String(i)));
      });
      return leases;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    // No long-lived processes.
  }

  private async signOne(laptop: Laptop, expiry: Expiry, scratchFile: string): Promise<string> {
    const leaseFile = `${scratchFile}.sig`;
    const errorFile = await open(`${scratchFile}.err`, "w+");
    let code: number | null;
    try {
      code = await this.runScript([laptop.serial, laptop.uuid, expiry, leaseFile], errorFile.fd);
      const stderr = (await readFile(`${scratchFile}.err`, "utf8")).trim();
      if (stderr !== "") this.options.onStderr(laptop.serial, stderr);
    } catch (error) {
      throw new SignerError(laptop.serial, `make-lease.sh could not run: ${describe(error)}`, { cause: error });
    } finally {
      await errorFile.close();
    }
    if (code !== 0) throw new SignerError(laptop.serial, `make-lease.sh ${code === null ? "timed out" : `exited with status ${code}`}`);
    const lease = await readFile(leaseFile, "latin1").catch(() => "");
    if (!isLeaseLineFor(lease, laptop.serial, expiry))
      throw new SignerError(laptop.serial, "make-lease.sh did not print one well-formed lease line for it");
    const [, , , , , , keyId, signature] = lease.trimEnd().split(" ");
    if (
      keyId !== this.options.key.keyId ||
      !verifyLeaseSignature(this.options.key.publicKey, signedMessage(laptop, expiry), signature as string)
    ) {
      throw new SignerError(laptop.serial, "make-lease.sh made a lease that does not verify with the configured public key");
    }
    return lease;
  }

  /** Exit status, or null when the script was killed for taking too long. */
  private runScript(args: string[], stderrFd: number): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn("bash", [this.script, "--signingkey", this.options.keyPath, ...args], {
        cwd: dirname(this.script),
        stdio: ["ignore", "ignore", stderrFd],
        timeout: this.options.timeoutMs,
        killSignal: "SIGKILL",
      });
      child.on("error", reject);
      child.on("close", (code, signal) => resolve(signal === null ? code : null));
    });
  }
}
