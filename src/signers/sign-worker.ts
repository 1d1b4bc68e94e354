// The body of a native signing worker thread: it holds the private key and turns batches of
// signed messages into signatures. Runs from the same bundle file as the program.
import { createPrivateKey } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { signLeaseMessage } from "./lease-signature.js";

export const WORKER_ROLE = "inventario-leasegen lease signer";

export interface WorkerSetup {
  readonly role: typeof WORKER_ROLE;
  readonly privateDer: Uint8Array;
  readonly modulusBits: number;
}

export interface SignRequest {
  readonly id: number;
  readonly messages: readonly string[];
}

export type SignReply = { readonly id: number; readonly signatures: string[] } | { readonly id: number; readonly error: string };

export function isSignWorker(data: unknown): data is WorkerSetup {
  return typeof data === "object" && data !== null && (data as { role?: unknown }).role === WORKER_ROLE;
}

export function runSignWorker(): void {
  const setup = workerData as WorkerSetup;
  const key = createPrivateKey({ key: Buffer.from(setup.privateDer), format: "der", type: "pkcs1" });
  parentPort?.on("message", (request: SignRequest) => {
    let reply: SignReply;
    try {
      reply = { id: request.id, signatures: request.messages.map((message) => signLeaseMessage(key, setup.modulusBits, message)) };
    } catch (error) {
      reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(reply);
  });
}
