// The body of one worker thread of the write-limit measurement: on each order from the parent it
// replaces 630-byte files, one at a time, with one writer in a by-laptop-like tree
// (`<tree>/<last two characters>/<11-character name>`), until its time is up, then reports how
// many files it replaced and in how long.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { replaceFileSync } from "../src/io/atomic-file.js";
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
}

export type WriteMessage =
  | { readonly ready: true }
  | {
      readonly files: number;
      readonly seconds: number;
      /** CPU seconds this thread got meanwhile; undefined off Linux. */
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

/** Each writer replaces one file at a time on this thread, as the program's writer threads do. */
const REPLACE: Record<WriterName, (path: string, data: string) => void> = { bare: bareReplace, program: replaceFileSync };

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

  const run = (order: WriteOrder): WriteMessage => {
    const replace = REPLACE[order.writer];
    const cpuBefore = threadCpu();
    const started = performance.now();
    const deadline = started + order.seconds * 1000;
    let files = 0;
    for (; performance.now() < deadline; files += 1) replace(nextPath(order.writer), DATA);
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = threadCpu();
    return { files, seconds, cpuSeconds: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
  };

  const reply = (work: () => WriteMessage): void => {
    try {
      port.postMessage(work());
    } catch (error) {
      port.postMessage({ error: (error as Error).message } satisfies WriteMessage);
    }
  };
  port.on("message", (order: WriteOrder) => reply(() => run(order)));
  // A few files with each writer first (compiling, loading the writer), then "ready".
  reply(() => {
    for (const writer of WRITERS) for (let i = 0; i < WARM_UP_FILES; i += 1) REPLACE[writer](nextPath(writer), DATA);
    return { ready: true };
  });
}

main();
