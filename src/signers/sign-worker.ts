// The body of a native signing worker thread: it holds the private key and turns batches of
// signed messages into signatures; and checks batches of lease signatures with its public half
// (the leases a regeneration keeps), so a run needs no verifying threads besides. Runs from the
// same bundle file as the program.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { workerData } from "node:worker_threads";
import { signLeaseMessage } from "./lease-signature.js";
import { hasRole, serveBatches } from "../io/worker-pool.js";
import { checkSignatures, decodeChecks } from "./verify-worker.js";

export const WORKER_ROLE = "inventario-leasegen lease signer";

export interface WorkerSetup {
  readonly role: typeof WORKER_ROLE;
  readonly privateDer: Uint8Array;
  readonly modulusBits: number;
}

/** Messages to sign, or lease signatures to check (encoded as verify-worker.ts does). */
export type SignerBatch = { readonly sign: readonly string[] } | { readonly verify: string };

export function isSignWorker(data: unknown): data is WorkerSetup {
  return hasRole(data, WORKER_ROLE);
}

/** The reply to messages to sign: their signatures in order; to signatures to check: the index of the message each verifies, or -1. */
export function runSignWorker(): void {
  const setup = workerData as WorkerSetup;
  const key = createPrivateKey({ key: Buffer.from(setup.privateDer), format: "der", type: "pkcs1" });
  const publicKey = createPublicKey(key);
  serveBatches((batch: SignerBatch) =>
    "verify" in batch
      ? checkSignatures(publicKey, decodeChecks(batch.verify))
      : batch.sign.map((message) => signLeaseMessage(key, setup.modulusBits, message)),
  );
}
