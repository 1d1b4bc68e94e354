// The external signer: OLPC's bios-crypto `make-lease.sh`, one process per lease, several at
// once. Arguments go as a vector through bash, never through a shell string. The script
// writes to /dev/stdout and /dev/stderr, which cannot be opened when they are sockets (what
// Node's pipes are), so the lease goes to an output file (its fifth argument) and its
// messages to a file given as stderr.
// Each script runs in its own process group, so that a timeout kills whatever it started too.
// A script that timed out once is taken as hung for the rest of the run: the batches still
// running are stopped and every later one fails at once, instead of waiting a timeout each.
import { spawn, type ChildProcess } from "node:child_process";
import { access, open, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Expiry, Laptop } from "../core/domain.js";
import { isLeaseLineFor, signedMessage } from "../core/lease.js";
import { SignerError, describe } from "../errors.js";
import { eachLimited } from "../io/each-limited.js";
import { makeScratchDir, removeScratchDir, removeScratchLeftovers } from "../io/scratch-dir.js";
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
  /** `bios_crypto_timeout`: how long one make-lease.sh may run before its process group is killed. */
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

/** Why a script ended: its exit status, or how it was stopped. */
type Killed = "timed out" | "stopped" | NodeJS.Signals;
type ScriptEnd = { code: number } | { killed: Killed };

export class BiosCryptoSigner implements Signer {
  /** The laptop whose make-lease.sh timed out, once one has: no script runs after that. */
  private hungAt: string | undefined;
  /** Set by close(): the run is ending, and starts no more scripts. */
  private closed = false;
  /** Running scripts, each with the function that kills its process group. */
  private readonly running = new Map<ChildProcess, (why: "timed out" | "stopped") => void>();

  private constructor(
    private readonly script: string,
    private readonly options: BiosCryptoOptions,
  ) {}

  static async create(options: BiosCryptoOptions): Promise<BiosCryptoSigner | undefined> {
    const script = await findMakeLease(options.biosCryptoPath);
    if (script === undefined) return undefined;
    await removeScratchLeftovers(options.scratchParent, SCRATCH_PREFIX);
    return new BiosCryptoSigner(script, options);
  }

  async signSchool(laptops: readonly Laptop[], expiry: Expiry): Promise<string[]> {
    const scratch = await makeScratchDir(this.options.scratchParent, SCRATCH_PREFIX);
    try {
      const leases: string[] = new Array<string>(laptops.length);
      await eachLimited([...laptops.keys()], this.options.processes, async (i) => {
        leases[i] = await this.signOne(laptops[i] as Laptop, expiry, join(scratch, String(i)));
      });
      return leases;
    } finally {
      await removeScratchDir(scratch);
    }
  }

  /** Kills the running scripts' process groups; no script starts after this (an interrupted run ends). */
  async close(): Promise<void> {
    this.closed = true;
    for (const kill of this.running.values()) kill("stopped");
  }

  private async signOne(laptop: Laptop, expiry: Expiry, scratchFile: string): Promise<string> {
    this.failIfStopped(laptop.serial);
    const leaseFile = `${scratchFile}.sig`;
    const errorFile = await open(`${scratchFile}.err`, "w+");
    let end: ScriptEnd;
    try {
      end = await this.runScript(laptop, expiry, leaseFile, errorFile.fd);
      const stderr = (await readFile(`${scratchFile}.err`, "utf8")).trim();
      if (stderr !== "") this.options.onStderr(laptop.serial, stderr);
    } catch (error) {
      throw new SignerError(laptop.serial, `make-lease.sh could not run: ${describe(error)}`, { cause: error });
    } finally {
      await errorFile.close();
    }
    if ("killed" in end) throw new SignerError(laptop.serial, this.killedMessage(end.killed));
    if (end.code !== 0) throw new SignerError(laptop.serial, `make-lease.sh exited with status ${end.code}`);
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

  private failIfStopped(serial: string): void {
    if (this.hungAt !== undefined || this.closed) throw new SignerError(serial, this.killedMessage("stopped"));
  }

  private killedMessage(why: Killed): string {
    const timeout = `${this.options.timeoutMs / 1000} s (bios_crypto_timeout)`;
    if (why === "timed out") return `make-lease.sh timed out after ${timeout}; it was killed with every process it started`;
    if (this.hungAt !== undefined && why === "stopped") {
      return `not signed: make-lease.sh timed out after ${timeout} for laptop ${this.hungAt}, so no more are run until the next run`;
    }
    return why === "stopped" ? "make-lease.sh was stopped: the run is ending" : `make-lease.sh was killed by ${why}`;
  }

  private runScript(laptop: Laptop, expiry: Expiry, leaseFile: string, stderrFd: number): Promise<ScriptEnd> {
    const args = [this.script, "--signingkey", this.options.keyPath, laptop.serial, laptop.uuid, expiry, leaseFile];
    return new Promise((resolve, reject) => {
      const child = spawn("bash", args, {
        cwd: dirname(this.script),
        stdio: ["ignore", "ignore", stderrFd],
        detached: true, // its own process group, whose id is its pid
      });
      let killedFor: "timed out" | "stopped" | undefined;
      const kill = (why: "timed out" | "stopped"): void => {
        // Only while the script is unreaped (Node sets exitCode when it reaps): until then no
        // other process can have its pid as a group id.
        if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
        killedFor ??= why;
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // the group is already gone
        }
      };
      const timer = setTimeout(() => {
        kill("timed out");
        if (killedFor !== "timed out") return;
        this.hungAt ??= laptop.serial;
        for (const other of this.running.values()) other("stopped");
      }, this.options.timeoutMs);
      this.running.set(child, kill);
      const settle = (): void => {
        clearTimeout(timer);
        this.running.delete(child);
      };
      child.on("error", (error) => {
        settle();
        reject(error);
      });
      child.on("close", (code, signal) => {
        settle();
        if (killedFor !== undefined) resolve({ killed: killedFor });
        else if (signal !== null) resolve({ killed: signal });
        else resolve({ code: code ?? 1 });
      });
    });
  }
}
