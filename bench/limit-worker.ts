// The body of one worker thread of the raw-limit measurement: it signs lease messages in a tight
// loop with the program's own signing primitive, from the moment the parent says "go" until its
// time is up, then reports how many signatures it made and in how long.
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { signLeaseMessage } from "../src/signers/lease-signature.js";
import { threadCpuSeconds } from "./proc-status.js";

export interface LimitSetup {
  readonly privateDer: Uint8Array;
  readonly modulusBits: number;
  readonly seconds: number;
  /** Sample signed messages (`<SN>:<UUID>:K:<EXPIRY>`), used in turn. */
  readonly messages: readonly string[];
}

export type LimitMessage =
  | { readonly ready: true }
  | {
      readonly signatures: number;
      readonly seconds: number;
      /** CPU seconds this thread actually got meanwhile (less than `seconds` when the machine is shared); undefined off Linux. */
      readonly cpuSeconds: number | undefined;
    };

/** This thread's CPU seconds so far, from /proc/thread-self/stat. */
function threadCpu(): number | undefined {
  try {
    return threadCpuSeconds(readFileSync("/proc/thread-self/stat", "utf8"));
  } catch {
    return undefined;
  }
}

const WARM_UP_SIGNATURES = 20;

function main(): void {
  const setup = workerData as LimitSetup;
  const port = parentPort;
  if (!port) throw new Error("limit-worker.js must run as a worker thread");
  const key = createPrivateKey({ key: Buffer.from(setup.privateDer), format: "der", type: "pkcs1" });
  const sign = (i: number): string => signLeaseMessage(key, setup.modulusBits, setup.messages[i % setup.messages.length] as string);
  for (let i = 0; i < WARM_UP_SIGNATURES; i += 1) sign(i);
  port.once("message", () => {
    const cpuBefore = threadCpu();
    const started = performance.now();
    const deadline = started + setup.seconds * 1000;
    let signatures = 0;
    let now = started;
    while (now < deadline) {
      sign(signatures);
      signatures += 1;
      now = performance.now();
    }
    const cpuAfter = threadCpu();
    const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
    const reply: LimitMessage = { signatures, seconds: (now - started) / 1000, cpuSeconds };
    port.postMessage(reply);
  });
  const ready: LimitMessage = { ready: true };
  port.postMessage(ready);
}

main();
