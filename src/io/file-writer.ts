// Replacing many files at once: a school's laptop files. On writer threads, each replacing its
// share one file at a time (write-worker.ts); atomic-file.ts's replaceFiles makes the
// directories durable after, as for files written from this thread.
// A durable replace mostly waits for its fsync; through libuv's pool, each file's other steps
// queued behind the fsyncs of other files, and a run wrote half as fast.
import { replaceFiles as replaceDurably, type FileEntries } from "./atomic-file.js";
import { eachLimited } from "./each-limited.js";
import { WorkerPool } from "./worker-pool.js";
import { WRITE_WORKER_ROLE, type WriteWorkerSetup } from "./write-worker.js";

export interface FileWriter {
  /** Replaces each file atomically, then makes their directories durable. */
  replaceFiles(files: ReadonlyMap<string, string>): Promise<void>;
}

/** In this thread, through libuv's pool: where a few files are written and no writer threads run. */
export const inThreadWriter: FileWriter = { replaceFiles: (files) => replaceDurably(files) };

/** Files per message to a writer thread: enough to make messaging cheap, few enough to share a school. */
const BATCH = 32;
/** A writer holds a batch of small files: a small heap keeps the process's memory low. */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 };

/**
 * Writer threads: one more than cores, at most 4. Each waits for one fsync at a time, so more
 * threads than cores keep the disk and the signers busy: on 2 cores a full regeneration took
 * 21 s with 2, 18.7 s with 3, 18.9 s with 4 (about 10 MB each). More than libuv's own 4 made a
 * 16-core server's ext4 slower (its journal, not the threads, sets the pace there).
 */
export function writerThreads(cores: number): number {
  return Math.min(4, cores + 1);
}

export class ThreadedFileWriter implements FileWriter {
  private readonly pool: WorkerPool<FileEntries, number>;

  /**
   * `bundleFile` is the program's own bundle, which becomes a writer when started as a worker.
   * Fewer files than `fewFiles` are written from this thread: a school that changed by a laptop
   * or two (most, on most days) starts no thread, which costs more than it saves.
   */
  constructor(
    bundleFile: string,
    private readonly threads: number,
    private readonly fewFiles = BATCH,
  ) {
    const workerData: WriteWorkerSetup = { role: WRITE_WORKER_ROLE };
    this.pool = new WorkerPool(bundleFile, workerData, threads, WORKER_HEAP, "file writer closed");
  }

  replaceFiles(files: ReadonlyMap<string, string>): Promise<void> {
    if (files.size < this.fewFiles) return inThreadWriter.replaceFiles(files);
    return replaceDurably(files, (entries) => this.replaceOnThreads(entries));
  }

  private async replaceOnThreads(entries: FileEntries): Promise<void> {
    const batches: FileEntries[] = [];
    for (let start = 0; start < entries.length; start += BATCH) batches.push(entries.slice(start, start + BATCH));
    // Each writer has a batch queued behind the one it writes; after a failure, no new batch starts.
    await eachLimited(batches, this.threads * 2, async (batch) => void (await this.pool.submit(batch)));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
