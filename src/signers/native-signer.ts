// The in-process signer: a pool of worker threads, one per core by default, each holding the
// key. A school's batch is cut into chunks that idle workers take in turn; results are put
// back in the laptops' order, and the main thread stays free for fetching and writing. The same
// threads check the signatures of the leases a regeneration keeps.
import type { Expiry, Laptop } from "../core/domain.js";
import { leaseLine, signedMessage } from "../core/lease.js";
import { SignerError } from "../errors.js";
import type { LeaseKey } from "./lease-key.js";
import { verifyInChunks, type SignatureCheck, type SignatureVerifier } from "./lease-verifier.js";
import type { Signer } from "./signer.js";
import { WORKER_ROLE, type SignerBatch, type WorkerSetup } from "./sign-worker.js";
import { WorkerPool } from "../io/worker-pool.js";

/** Small enough to share a school among workers, large enough to make messaging cheap. */
const MAX_CHUNK = 64;
/** A signer holds a key and a few batches: small heaps keep the process's memory low. */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 };

export class NativeSigner implements Signer, SignatureVerifier {
  private readonly pool: WorkerPool<SignerBatch, string[] | number[]>;

  /** `workerFile` is the program's own bundle, which becomes a signer when started as a worker. */
  constructor(
    private readonly key: LeaseKey,
    workerFile: string,
    private readonly workers: number,
  ) {
    const workerData: WorkerSetup = { role: WORKER_ROLE, privateDer: key.privateDer, modulusBits: key.modulusBits };
    this.pool = new WorkerPool(workerFile, workerData, workers, WORKER_HEAP, "signer closed");
  }

  async signSchool(laptops: readonly Laptop[], expiry: Expiry): Promise<string[]> {
    const messages = laptops.map((laptop) => signedMessage(laptop, expiry));
    const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(messages.length / (this.workers * 4))));
    const chunks: Promise<string[]>[] = [];
    for (let start = 0; start < messages.length; start += chunkSize) {
      chunks.push(this.pool.submit({ sign: messages.slice(start, start + chunkSize) }) as Promise<string[]>);
    }
    let signatures: string[];
    try {
      signatures = (await Promise.all(chunks)).flat();
    } catch (error) {
      throw new SignerError(laptops[0]?.serial ?? "-", `native signing failed: ${(error as Error).message}`, { cause: error });
    }
    return laptops.map((laptop, i) => leaseLine(laptop.serial, expiry, this.key.keyId, signatures[i] as string));
  }

  verify(checks: readonly SignatureCheck[]): Promise<number[]> {
    return verifyInChunks(checks, this.workers, (batch) => this.pool.submit({ verify: batch }) as Promise<number[]>);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
