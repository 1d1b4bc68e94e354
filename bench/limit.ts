// The machine's raw limit: one worker thread per core, each signing in a tight loop with the
// program's own primitive (RSA-2048 PSS, SHA-256, salt 8) for the same few seconds, summed.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { LimitMessage, LimitSetup } from "./limit-worker.js";
import { watchLoad } from "./machine-load.js";

export interface Limit {
  /** Signatures per second, all threads together. */
  readonly perSecond: number;
  readonly threads: number;
  readonly perThread: readonly number[];
  /** CPU seconds one signature takes, measured on the threads themselves (undefined off Linux). */
  readonly cpuSecondsPerSignature: number | undefined;
  /** How much of a core each thread got on average (1 on an otherwise idle machine). */
  readonly coreShare: number | undefined;
  /** Cores the rest of the machine kept busy meanwhile, on average. */
  readonly restCores: number | undefined;
}

const WORKER_FILE = join(__dirname, "limit-worker.js");

export async function measureLimit(keyPath: string, threads: number, seconds: number, messages: readonly string[]): Promise<Limit> {
  const privateDer = await readFile(`${keyPath}.private`);
  const setup: LimitSetup = { privateDer, modulusBits: 2048, seconds, messages };
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_FILE, { workerData: setup }));
  try {
    const replies = workers.map(firstTwoMessages);
    // Everyone loads the key and warms up first, then all start together.
    await Promise.all(replies.map(([ready]) => ready));
    const load = watchLoad();
    for (const worker of workers) worker.postMessage("go");
    const results = await Promise.all(replies.map(([, done]) => done));
    const { restCores } = load();
    const done = results.flatMap((result) => ("signatures" in result ? [result] : []));
    const perThread = done.map((result) => result.signatures / result.seconds);
    const cpu = done.every((result) => result.cpuSeconds !== undefined)
      ? done.reduce((sum, result) => sum + (result.cpuSeconds as number), 0)
      : undefined;
    const signatures = done.reduce((sum, result) => sum + result.signatures, 0);
    const wall = done.reduce((sum, result) => sum + result.seconds, 0);
    return {
      perSecond: perThread.reduce((sum, rate) => sum + rate, 0),
      threads,
      perThread,
      cpuSecondsPerSignature: cpu === undefined || signatures === 0 ? undefined : cpu / signatures,
      coreShare: cpu === undefined ? undefined : cpu / wall,
      restCores,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** The worker's first two messages ("ready", then its count); both reject if the worker fails first. */
function firstTwoMessages(worker: Worker): [Promise<LimitMessage>, Promise<LimitMessage>] {
  const settlers: { resolve: (message: LimitMessage) => void; reject: (error: Error) => void }[] = [];
  const promises = [0, 1].map((i) => new Promise<LimitMessage>((resolve, reject) => (settlers[i] = { resolve, reject })));
  for (const promise of promises) promise.catch(() => undefined); // awaited by the caller; never unhandled
  let received = 0;
  worker.on("message", (message: LimitMessage) => settlers[received++]?.resolve(message));
  const fail = (error: Error): void => settlers.forEach((settler) => settler.reject(error));
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`limit worker exited with code ${code}`)));
  return [promises[0] as Promise<LimitMessage>, promises[1] as Promise<LimitMessage>];
}
