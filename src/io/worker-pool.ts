// A pool of worker threads, each running the program's own bundle in one role (index.ts picks
// the role from workerData): batches go to idle workers in turn, and each batch's promise
// settles with its worker's reply. The lease signer, the lease verifier and the file writer use it.
import { Worker, parentPort, type ResourceLimits } from "node:worker_threads";

/** What crosses to a worker: a numbered batch, and its reply. */
export interface WorkerRequest<Batch> {
  readonly id: number;
  readonly batch: Batch;
}
export type WorkerReply<Result> = { readonly id: number; readonly result: Result } | { readonly id: number; readonly error: string };

interface Job<Batch, Result> {
  readonly request: WorkerRequest<Batch>;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerPool<Batch, Result> {
  private readonly idle: Worker[] = [];
  private readonly queue: Job<Batch, Result>[] = [];
  private readonly running = new Map<Worker, Job<Batch, Result>>();
  private nextId = 0;
  private broken: Error | undefined;
  private started = false;

  /** `workerFile` is the program's own bundle; `workerData` names the role and carries its setup. */
  constructor(
    private readonly workerFile: string,
    private readonly workerData: unknown,
    private readonly workers: number,
    private readonly resourceLimits: ResourceLimits,
    /** What a batch's rejection says once the pool is closed. */
    private readonly closedMessage: string,
  ) {}

  /** Workers start with the first batch: a pool that gets no work never pays for them. */
  private start(): void {
    for (let i = 0; i < this.workers; i += 1) {
      const worker = new Worker(this.workerFile, { workerData: this.workerData, resourceLimits: this.resourceLimits });
      worker.on("message", (reply: WorkerReply<Result>) => this.finish(worker, reply));
      worker.on("error", (error) => this.fail(error));
      // Only close() ends a worker: one that exits by itself, even with code 0, took its batch with it.
      worker.on("exit", (code) => this.fail(new Error(`worker exited with code ${code}`)));
      this.idle.push(worker);
    }
    this.started = true;
  }

  submit(batch: Batch): Promise<Result> {
    if (this.broken) return Promise.reject(this.broken);
    if (!this.started) this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { id: this.nextId++, batch }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    const workers = [...this.idle, ...this.running.keys()];
    this.fail(new Error(this.closedMessage));
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job<Batch, Result>;
      this.running.set(worker, job);
      worker.postMessage(job.request);
    }
  }

  private finish(worker: Worker, reply: WorkerReply<Result>): void {
    const job = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    if (job) {
      if ("error" in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.result);
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

/** Whether a worker's `workerData` names this role. */
export function hasRole(data: unknown, role: string): boolean {
  return typeof data === "object" && data !== null && (data as { role?: unknown }).role === role;
}

/** The worker's side: answers each batch with `work(batch)`, or with the error it threw. */
export function serveBatches<Batch, Result>(work: (batch: Batch) => Result): void {
  parentPort?.on("message", (request: WorkerRequest<Batch>) => {
    let reply: WorkerReply<Result>;
    try {
      reply = { id: request.id, result: work(request.batch) };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(reply);
  });
}
