// The machine's raw limit for writing lease files, and what the program's writer costs per file
// beyond it. The same threads as the signing limit (one per core) replace 630-byte files in a
// by-laptop-like tree on the file system the deployments use, one file at a time each, with two
// writers:
// - `bare`: the durable replace and nothing else (O_EXCL create, write, fsync, close, rename):
//   the write limit;
// - `program`: the program's own `replaceFileSync` (src/io/atomic-file.ts), exactly as its writer
//   threads call it.
// The writers take turns in short rounds, so that a change in the disk's or the machine's load
// falls on both alike. CPU per file is the whole process's (the worker threads and an idle main
// thread), not the kernel's own journal threads.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { watchLoad } from "./machine-load.js";
import type { WriteMessage, WriteOrder, WriteSetup } from "./write-limit-worker.js";

/** The writers measured, in the order of each round (see the top of this file). */
export const WRITERS = ["bare", "program"] as const;
export type WriterName = (typeof WRITERS)[number];

export interface WriterCost {
  /** Files per second, all threads together. */
  readonly perSecond: number;
  /** Wall microseconds one thread takes per file. */
  readonly microsPerFile: number;
  /** CPU microseconds per file, the whole process. */
  readonly cpuMicrosPerFile: number;
  /** How much of a core each writing thread itself used on average (the rest it waited). */
  readonly threadCoreShare: number | undefined;
}

export interface WriteLimit {
  readonly threads: number;
  /** The bare replace: `write_limit_per_s` is `bare.perSecond`. */
  readonly bare: WriterCost;
  readonly program: WriterCost;
  /** Cores the rest of the machine kept busy meanwhile, on average. */
  readonly restCores: number | undefined;
}

const WORKER_FILE = join(__dirname, "write-limit-worker.js");
const ROUNDS = 8;

interface Tally {
  files: number;
  threadSeconds: number;
  threadCpuSeconds: number | undefined;
  processCpuSeconds: number;
}

/** Measures for `seconds` per writer, in a scratch directory under `parent` (removed after). */
export async function measureWriteLimit(parent: string, threads: number, seconds: number): Promise<WriteLimit> {
  const dir = await mkdtemp(join(parent, "write-limit-"));
  const workers: Worker[] = [];
  try {
    for (const writer of WRITERS) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => mkdir(join(dir, writer, String(i).padStart(2, "0")), { recursive: true })));
    }
    for (let thread = 0; thread < threads; thread += 1) {
      const setup: WriteSetup = { dir, thread };
      workers.push(new Worker(WORKER_FILE, { workerData: setup }));
    }
    await Promise.all(workers.map(nextMessage));
    const tallies = new Map<WriterName, Tally>(
      WRITERS.map((writer) => [writer, { files: 0, threadSeconds: 0, threadCpuSeconds: 0, processCpuSeconds: 0 }]),
    );
    const loadOfAll = watchLoad();
    for (let round = 0; round < ROUNDS; round += 1) {
      // Each round starts with the next writer: none always follows the same one (and the journal commits it leaves).
      const order = [...WRITERS.slice(round % WRITERS.length), ...WRITERS.slice(0, round % WRITERS.length)];
      for (const writer of order) await runRound(workers, { writer, seconds: seconds / ROUNDS }, tallies.get(writer) as Tally);
    }
    const cost = (writer: WriterName): WriterCost => writerCost(tallies.get(writer) as Tally, threads);
    const restCores = loadOfAll().restCores;
    return { threads, bare: cost("bare"), program: cost("program"), restCores };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** All threads write with one writer for the same time; the tally gets their figures. */
async function runRound(workers: readonly Worker[], order: WriteOrder, tally: Tally): Promise<void> {
  const load = watchLoad();
  const replies = workers.map(nextMessage);
  for (const worker of workers) worker.postMessage(order);
  const results = await Promise.all(replies);
  tally.processCpuSeconds += load().cpuSeconds;
  for (const result of results) {
    if (!("files" in result)) throw new Error("write-limit worker replied out of turn");
    tally.files += result.files;
    tally.threadSeconds += result.seconds;
    tally.threadCpuSeconds =
      tally.threadCpuSeconds === undefined || result.cpuSeconds === undefined ? undefined : tally.threadCpuSeconds + result.cpuSeconds;
  }
}

function writerCost(tally: Tally, threads: number): WriterCost {
  const files = Math.max(1, tally.files);
  return {
    perSecond: (threads * tally.files) / tally.threadSeconds,
    microsPerFile: (tally.threadSeconds / files) * 1e6,
    cpuMicrosPerFile: (tally.processCpuSeconds / files) * 1e6,
    threadCoreShare: tally.threadCpuSeconds === undefined ? undefined : tally.threadCpuSeconds / tally.threadSeconds,
  };
}

/** The worker's next message; rejects if it reports an error or dies first. */
function nextMessage(worker: Worker): Promise<WriteMessage> {
  return new Promise((resolve, reject) => {
    const settle = (error: Error | undefined, message?: WriteMessage): void => {
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (error) reject(error);
      else resolve(message as WriteMessage);
    };
    const onMessage = (message: WriteMessage): void =>
      "error" in message ? settle(new Error(`write-limit worker: ${message.error}`)) : settle(undefined, message);
    const onError = (error: Error): void => settle(error);
    const onExit = (code: number): void => settle(new Error(`write-limit worker exited with code ${code}`));
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
}
