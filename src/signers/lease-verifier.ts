// Checks lease signatures as the laptop does, on every core: a pool of worker threads holding
// the public key. One signature takes about as long as reading a lease file, so a tree of
// tens of thousands of leases would be bound by one core's verifying without them.
import type { LeasePublicKey } from "./lease-key.js";
import { VERIFY_WORKER_ROLE, encodeChecks, type SignatureCheck, type VerifyWorkerSetup } from "./verify-worker.js";
import { WorkerPool } from "../io/worker-pool.js";

export type { SignatureCheck } from "./verify-worker.js";

/** Enough per message to make messaging cheap, small enough to spread a school over workers. */
const MAX_CHUNK = 128;
const WORKER_HEAP = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 };

/** Something that checks signatures on threads: a LeaseVerifier, or the native signer's threads. */
export interface SignatureVerifier {
  verify(checks: readonly SignatureCheck[]): Promise<number[]>;
}

/** Cuts `checks` into chunks that `workers` threads take in turn (`submit` sends one, encoded), and puts the answers back in order. */
export async function verifyInChunks(
  checks: readonly SignatureCheck[],
  workers: number,
  submit: (encoded: string) => Promise<number[]>,
): Promise<number[]> {
  const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(checks.length / (workers * 2))));
  const chunks: Promise<number[]>[] = [];
  for (let start = 0; start < checks.length; start += chunkSize) chunks.push(submit(encodeChecks(checks.slice(start, start + chunkSize))));
  return (await Promise.all(chunks)).flat();
}

export class LeaseVerifier implements SignatureVerifier {
  private readonly pool: WorkerPool<string, number[]>;

  /** `workerFile` is the program's own bundle, which becomes a verifier when started as a worker. */
  constructor(
    key: LeasePublicKey,
    workerFile: string,
    private readonly workers: number,
  ) {
    const publicDer = key.publicKey.export({ format: "der", type: "pkcs1" });
    const workerData: VerifyWorkerSetup = { role: VERIFY_WORKER_ROLE, publicDer };
    this.pool = new WorkerPool(workerFile, workerData, workers, WORKER_HEAP, "verifier closed");
  }

  /** For each check, in order, the index of the first of its messages its signature verifies, or -1. */
  verify(checks: readonly SignatureCheck[]): Promise<number[]> {
    return verifyInChunks(checks, this.workers, (batch) => this.pool.submit(batch));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
