// The worker pool: every lease in order, each verifying, across workers; failures reject.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { signedMessage } from "../../src/core/lease.js";
import type { Expiry, Laptop } from "../../src/core/domain.js";
import { loadLeaseKey } from "../../src/signers/lease-key.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { NativeSigner } from "../../src/signers/native-signer.js";
import { laptop } from "../support/datasets.js";
import { copyVectorKey } from "../support/keys.js";

const WORKER_FILE = join(__dirname, "..", "..", "src", "index.js");
const expiry = "20300101T000000Z" as Expiry;

test("signs a batch across workers, in the laptops' order", async () => {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-signer-"));
  const key = await loadLeaseKey(await copyVectorKey(dir));
  const signer = new NativeSigner(key, WORKER_FILE, 2);
  try {
    const laptops = Array.from({ length: 300 }, (_, i) => laptop(i) as Laptop);
    const lines = await signer.signSchool(laptops, expiry);
    assert.equal(lines.length, laptops.length);
    lines.forEach((line, i) => {
      const fields = line.trimEnd().split(" ");
      assert.equal(fields[1], laptops[i]?.serial);
      assert.equal(fields[6], key.keyId);
      assert.equal(verifyLeaseSignature(key.publicKey, signedMessage(laptops[i] as Laptop, expiry), fields[7] as string), true);
    });
    assert.deepEqual(await signer.signSchool([], expiry), []);
  } finally {
    await signer.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("the same threads check lease signatures: the leases they signed verify, a changed one and another UUID's do not", async () => {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-signer-"));
  const signer = new NativeSigner(await loadLeaseKey(await copyVectorKey(dir)), WORKER_FILE, 2);
  try {
    const laptops = Array.from({ length: 200 }, (_, i) => laptop(i) as Laptop);
    const signatures = (await signer.signSchool(laptops, expiry)).map((line) => line.trimEnd().split(" ")[7] as string);
    const flipped = (signature: string): string => `${signature[0] === "0" ? "1" : "0"}${signature.slice(1)}`;
    const checks = laptops.map((one, i) => {
      const message = signedMessage(one, expiry);
      if (i % 3 === 0) return { messages: [message], signature: signatures[i] as string };
      if (i % 3 === 1)
        return { messages: [signedMessage(laptop(i + 1000) as Laptop, expiry), message], signature: signatures[i] as string };
      return { messages: [message], signature: flipped(signatures[i] as string) };
    });
    assert.deepEqual(
      await signer.verify(checks),
      checks.map((_, i) => [0, 1, -1][i % 3]),
    );
  } finally {
    await signer.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test("a closed pool rejects instead of hanging", async () => {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-signer-"));
  const signer = new NativeSigner(await loadLeaseKey(await copyVectorKey(dir)), WORKER_FILE, 1);
  await signer.close();
  await assert.rejects(signer.signSchool([laptop(1) as Laptop], expiry), /signer closed/);
  await rm(dir, { recursive: true, force: true });
});
