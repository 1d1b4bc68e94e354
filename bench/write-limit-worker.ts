// The body of one worker thread of the write-limit measurement: on each order from the parent it
// replaces 630-byte files with one writer in a by-laptop-like tree
// (`<tree>/<last two characters>/<11-character name>`), until its time is up, then reports how
// many files it replaced and in how long.
import * as fs from "node:fs";
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { replaceFile } from "../src/io/atomic-file.js";
import { baselineReplaceFile } from "./baseline-writer.js";
import { threadCpuSeconds } from "./proc-status.js";
import { WRITERS, type WriterName } from "./write-limit.js";

export interface WriteSetup {
  /** Holds one tree per writer, `<dir>/<writer>/<00..99>/`, made by the parent. */
  readonly dir: string;
  /** This thread's index: part of its file names, so that threads never share one. */
  readonly thread: number;
}

export interface WriteOrder {
  readonly writer: WriterName;
  readonly seconds: number;
  /** Files an asynchronous writer keeps in flight on this thread (the bare one always writes one at a time). */
  readonly inFlight: number;
}

export type WriteMessage =
  | { readonly ready: true }
  | {
      readonly files: number;
      readonly seconds: number;
      /** CPU seconds this thread got meanwhile (the writers' syscalls run elsewhere: libuv's pool); undefined off Linux. */
      readonly cpuSeconds: number | undefined;
    }
  | { readonly error: string };

/** The size of a one-lease laptop file. */
const DATA = `${"x".repeat(629)}\n`;
const WARM_UP_FILES = 20;

function bareReplace(path: string, data: string): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "wx", 0o644); // O_CREAT | O_EXCL | O_WRONLY
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** The same steps through libuv's pool, as an asynchronous writer makes them: the reference for those. */
function bareReplaceAsync(path: string, data: string): Promise<void> {
  const temp = `${path}.tmp`;
  return new Promise((resolve, reject) => {
    const then = (next: () => void) => (error: Error | null) => (error ? reject(error) : next());
    fs.open(temp, "wx", 0o644, (error, fd) => {
      if (error) return reject(error);
      fs.writeFile(
        fd,
        data,
        then(() =>
          fs.fsync(
            fd,
            then(() =>
              fs.close(
                fd,
                then(() => fs.rename(temp, path, then(resolve))),
              ),
            ),
          ),
        ),
      );
    });
  });
}

const ASYNC_WRITERS: Record<Exclude<WriterName, "bare">, (path: string, data: string) => Promise<void>> = {
  "bare-async": bareReplaceAsync,
  program: replaceFile,
  baseline: baselineReplaceFile,
};

function threadCpu(): number | undefined {
  try {
    return threadCpuSeconds(readFileSync("/proc/thread-self/stat", "utf8"));
  } catch {
    return undefined;
  }
}

function main(): void {
  const setup = workerData as WriteSetup;
  const port = parentPort;
  if (!port) throw new Error("write-limit-worker.js must run as a worker thread");
  const written = new Map<WriterName, number>(WRITERS.map((writer) => [writer, 0]));
  // `W`, two characters for the thread, eight digits: 11 characters like a serial, 100 buckets.
  const prefix = `W${String.fromCharCode(65 + (setup.thread % 26))}${Math.floor(setup.thread / 26) % 10}`;
  const nextPath = (writer: WriterName): string => {
    const n = written.get(writer) as number;
    written.set(writer, n + 1);
    const name = `${prefix}${String(n).padStart(8, "0")}`;
    return join(setup.dir, writer, name.slice(-2), name);
  };

  /** Files replaced with `writer` until `deadline` (performance.now()), one at a time. */
  const writeUntil = async (writer: WriterName, deadline: number, inFlight: number): Promise<number> => {
    let files = 0;
    if (writer === "bare") {
      for (; performance.now() < deadline; files += 1) bareReplace(nextPath(writer), DATA);
    } else {
      const write = ASYNC_WRITERS[writer];
      const lane = async (): Promise<void> => {
        for (; performance.now() < deadline; files += 1) await write(nextPath(writer), DATA);
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    }
    return files;
  };

  const run = async (order: WriteOrder): Promise<WriteMessage> => {
    const cpuBefore = threadCpu();
    const started = performance.now();
    const files = await writeUntil(order.writer, started + order.seconds * 1000, order.inFlight);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = threadCpu();
    return { files, seconds, cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
  };

  port.on("message", (order: WriteOrder) => {
    run(order).then(
      (reply) => port.postMessage(reply),
      (error: Error) => port.postMessage({ error: error.message } satisfies WriteMessage),
    );
  });
  // A few files with each writer first (compiling, loading write-file-atomic), then "ready".
  const warmUp = async (): Promise<void> => {
    for (const writer of WRITERS) {
      for (let i = 0; i < WARM_UP_FILES; i += 1) {
        if (writer === "bare") bareReplace(nextPath(writer), DATA);
        else await ASYNC_WRITERS[writer](nextPath(writer), DATA);
      }
    }
  };
  warmUp().then(
    () => port.postMessage({ ready: true } satisfies WriteMessage),
    (error: Error) => port.postMessage({ error: error.message } satisfies WriteMessage),
  );
}

main();
