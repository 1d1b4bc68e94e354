// The body of a lease-verifying worker thread: it holds the public key and checks batches of
// signatures, each against the messages it may sign (one per recorded UUID of its laptop).
// Runs from the same bundle file as the program.
import { createPublicKey, type KeyObject } from "node:crypto";
import { workerData } from "node:worker_threads";
import { verifyLeaseSignature } from "./lease-signature.js";
import { hasRole, serveBatches } from "../io/worker-pool.js";

export const VERIFY_WORKER_ROLE = "inventario-leasegen lease verifier";

export interface VerifyWorkerSetup {
  readonly role: typeof VERIFY_WORKER_ROLE;
  readonly publicDer: Uint8Array;
}

/** One lease line's signature, and the messages it may sign. */
export interface SignatureCheck {
  readonly messages: readonly string[];
  /** Lower-case hex, as in the lease line. */
  readonly signature: string;
}

export function isVerifyWorker(data: unknown): data is VerifyWorkerSetup {
  return hasRole(data, VERIFY_WORKER_ROLE);
}

/**
 * A batch crosses to a worker as one string, a line per check: `<signature> <message>…`. No
 * part holds a space or an LF (hex, and messages made of validated serials, UUIDs and expiries),
 * and one string costs both threads a fraction of cloning as many objects.
 */
export function encodeChecks(checks: readonly SignatureCheck[]): string {
  return checks.map((check) => `${check.signature} ${check.messages.join(" ")}\n`).join("");
}

export function decodeChecks(batch: string): SignatureCheck[] {
  return batch
    .split("\n")
    .slice(0, -1)
    .map((line) => {
      const [signature, ...messages] = line.split(" ");
      return { signature: signature as string, messages };
    });
}

/** The index of the first message each signature verifies, or -1. */
export function checkSignatures(key: KeyObject, checks: readonly SignatureCheck[]): number[] {
  return checks.map((check) => check.messages.findIndex((message) => verifyLeaseSignature(key, message, check.signature)));
}

export function runVerifyWorker(): void {
  const setup = workerData as VerifyWorkerSetup;
  const key = createPublicKey({ key: Buffer.from(setup.publicDer), format: "der", type: "pkcs1" });
  serveBatches((batch: string) => checkSignatures(key, decodeChecks(batch)));
}
