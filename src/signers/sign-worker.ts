// The body of a native signing worker thread: it holds the private key and turns batches of
// signed messages into signatures. Runs from the same bundle file as the program.
import { createPrivateKey } from "node:crypto";
import { workerData } from "node:worker_threads";
import { signLeaseMessage } from "./lease-signature.js";
import { hasRole, serveBatches } from "../io/worker-pool.js";

export const WORKER_ROLE = "inventario-leasegen lease signer";

export interface WorkerSetup {
  readonly role: typeof WORKER_ROLE;
  readonly privateDer: Uint8Array;
  readonly modulusBits: number;
}

export function isSignWorker(data: unknown): data is WorkerSetup {
  return hasRole(data, WORKER_ROLE);
}

/** Each batch is messages to sign; the reply, their signatures in order. */
export function runSignWorker(): void {
  const setup = workerData as WorkerSetup;
  const key = createPrivateKey({ key: Buffer.from(setup.privateDer), format: "der", type: "pkcs1" });
  serveBatches((messages: readonly string[]) => messages.map((message) => signLeaseMessage(key, setup.modulusBits, message)));
}
