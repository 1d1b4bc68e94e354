// The in-process signer: a pool of worker threads, one per core by default, each holding the
// key. A school's batch is cut into chunks that idle workers take in turn; results are put
// back in the laptops' order, and the main thread stays free for fetching and writing.
import { Worker } from "node:worker_threads";
import type { Expiry, Laptop } from "../core/domain.js";
import { leaseLine, signedMessage } from "../core/lease.js";
import { SignerError } from "../errors.js";
import type { LeaseKey } from "./lease-key.js";
import type { Signer } from "./signer.js";
import { WORKER_ROLE, type SignReply, type SignRequest, type WorkerSetup } from "./sign-worker.js";

/** Small enough to share a school among workers, large enough to make messaging cheap. */
const MAX_CHUNK = 64;
const WORKER_HEAP = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 };

interface Job {
  readonly request: SignRequest;
  readonly resolve: (signatures: string[]) => void;
  readonly reject: (error: Error) => void;
}

export class NativeSigner implements Signer {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private nextId = 0;
  private broken: Error | undefined;
  private started = false;

  /** `workerFile` is the program's own bundle, which becomes a signer when started as a worker. */
  constructor(
    private readonly key: LeaseKey,
    private readonly workerFile: string,
    private readonly workers: number,
  ) {}

  /** Workers start with the first batch: a run with nothing to sign never pays for them. */
  private start(): void {
    const workerData: WorkerSetup = { role: WORKER_ROLE, privateDer: this.key.privateDer, modulusBits: this.key.modulusBits };
    for (let i = 0; i < this.workers; i += 1) {
      // A signer holds a key and a few batches: small heaps keep the process's memory low.
      const worker = new Worker(this.workerFile, { workerData, resourceLimits: WORKER_HEAP });
      worker.on("message", (reply: SignReply) => this.finish(worker, reply));
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => code !== 0 && this.fail(new Error(`signing worker exited with code ${code}`)));
      this.idle.push(worker);
    }
    this.started = true;
  }

  async signSchool(laptops: readonly Laptop[], expiry: Expiry): Promise<string[]> {
    const messages = laptops.map((laptop) => signedMessage(laptop, expiry));
    const chunkSize = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(messages.length / (this.workers * 4))));
    const chunks: Promise<string[]>[] = [];
    for (let start = 0; start < messages.length; start += chunkSize) {
      chunks.push(this.submit(messages.slice(start, start + chunkSize)));
    }
    let signatures: string[];
    try {
      signatures = (await Promise.all(chunks)).flat();
    } catch (error) {
      throw new SignerError(laptops[0]?.serial ?? "-", `native signing failed: ${(error as Error).message}`, { cause: error });
    }
    return laptops.map((laptop, i) => leaseLine(laptop.serial, expiry, this.key.keyId, signatures[i] as string));
  }

  async close(): Promise<void> {
    const workers = [...this.idle, ...this.running.keys()];
    this.broken ??= new Error("signer closed");
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private submit(messages: string[]): Promise<string[]> {
    if (this.broken) return Promise.reject(this.broken);
    if (!this.started) this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, messages }, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job;
      this.running.set(worker, job);
      worker.postMessage(job.request);
    }
  }

  private finish(worker: Worker, reply: SignReply): void {
    const job = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (job) {
      if ("error" in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.signatures);
    }
    this.dispatch();
  }

  /** A dead worker breaks the pool: every pending and later batch fails rather than hangs. */
  private fail(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    for (const job of [...this.queue, ...this.running.values()]) job.reject(error);
    this.queue.length = 0;
    this.running.clear();
  }
}
