// The verifying worker pool: each signature against its candidate messages, in order, across
// workers; a flipped byte or another key's signature verifies with none; a closed pool rejects.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadLeaseKey, loadPublicKey } from "../../src/signers/lease-key.js";
import { signLeaseMessage } from "../../src/signers/lease-signature.js";
import { LeaseVerifier } from "../../src/signers/lease-verifier.js";
import { laptop } from "../support/datasets.js";
import { copyVectorKey, makeKeyPair } from "../support/keys.js";

const WORKER_FILE = join(__dirname, "..", "..", "src", "index.js");

test("verifies a batch across workers, in order, naming which message each signature signs", async () => {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-verifier-"));
  const keyPath = await copyVectorKey(dir);
  const key = await loadLeaseKey(keyPath);
  const other = await loadLeaseKey(await makeKeyPair(dir, "other"));
  const verifier = new LeaseVerifier(await loadPublicKey(keyPath), WORKER_FILE, 2);
  try {
    const messages = Array.from({ length: 300 }, (_, i) => `${laptop(i).serial}:${laptop(i).uuid as string}:K:20301231T060000Z`);
    const signatures = messages.map((message) => signLeaseMessage(key.privateKey, 2048, message));
    const flipped = (signature: string): string => `${signature.slice(0, 10)}${signature[10] === "0" ? "1" : "0"}${signature.slice(11)}`;
    const checks = messages.map((message, i) => {
      if (i % 3 === 0) return { messages: [message], signature: signatures[i] as string };
      if (i % 3 === 1) return { messages: ["another:message", message], signature: signatures[i] as string };
      return {
        messages: [message],
        signature: i % 2 === 0 ? flipped(signatures[i] as string) : signLeaseMessage(other.privateKey, 2048, message),
      };
    });
    const matched = await verifier.verify(checks);
    assert.deepEqual(
      matched,
      checks.map((_, i) => [0, 1, -1][i % 3]),
    );
    assert.deepEqual(await verifier.verify([]), []);
  } finally {
    await verifier.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the public key alone is enough: no private key needed", async () => {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-verifier-"));
  try {
    const keyPath = await copyVectorKey(dir);
    await rm(`${keyPath}.private`);
    const key = await loadPublicKey(keyPath);
    assert.equal(key.modulusBits, 2048);
    assert.equal(key.keyId, (await readFile(`${keyPath}.public`)).subarray(-32).toString("hex"));
    await assert.rejects(loadLeaseKey(keyPath), /cannot read key file .*lease\.private/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a closed verifier rejects instead of hanging", async () => {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-verifier-"));
  const verifier = new LeaseVerifier(await loadPublicKey(await copyVectorKey(dir)), WORKER_FILE, 1);
  await verifier.close();
  await assert.rejects(verifier.verify([{ messages: ["m"], signature: "00" }]), /verifier closed/);
  await rm(dir, { recursive: true, force: true });
});
