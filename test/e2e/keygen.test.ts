// `keygen PREFIX` through the bundle (issue 9 §3): bios-crypto's key format and modes, no
// overwriting, and leases signed with the new key by either signer verify.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readCanonicalSchoolFile } from "../../src/core/canonical-json.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { demoDataset } from "../support/datasets.js";
import { publicKeyOf, readTree, runBundle, ROOT, useDemoDeployment } from "../support/harness.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
const demo = useDemoDeployment();
const prefix = (): string => join(demo.deployment.dir, "trial");
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

test("keygen writes PREFIX.private (PKCS#1 DER, 2048 bits, e = 65537, 0600) and PREFIX.public (270 bytes, 0644)", async () => {
  const result = await runBundle(["keygen", prefix()]);
  assert.equal(result.code, 0, shown(result));
  const privateDer = await readFile(`${prefix()}.private`);
  const publicDer = await readFile(`${prefix()}.public`);
  assert.equal(await mode(`${prefix()}.private`), 0o600);
  assert.equal(await mode(`${prefix()}.public`), 0o644);
  assert.equal(publicDer.length, 270);
  const privateKey = createPrivateKey({ key: privateDer, format: "der", type: "pkcs1" });
  assert.equal(privateKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(privateKey.asymmetricKeyDetails?.publicExponent, 65537n);
  const publicKey = createPublicKey({ key: publicDer, format: "der", type: "pkcs1" });
  assert.deepEqual(
    createPublicKey(privateKey).export({ format: "der", type: "pkcs1" }),
    publicKey.export({ format: "der", type: "pkcs1" }),
  );
  assert.match(result.stdout, new RegExp(`^key id: ${publicDer.subarray(-32).toString("hex")}$`, "m"));
  assert.match(result.stdout, /a deployment's real lease key comes from its own key ceremony/);
  assert.equal(result.stderr, "");
});

test("keygen never overwrites: if either file exists it exits 2 and writes nothing", async () => {
  assert.equal((await runBundle(["keygen", prefix()])).code, 0);
  const before = await readTree(demo.deployment.dir);
  const again = await runBundle(["keygen", prefix()]);
  assert.equal(again.code, 2, shown(again));
  assert.deepEqual(stderrLines(again), [
    `inventario-leasegen: keygen: ${prefix()}.private already exists: a key is never overwritten; nothing written`,
  ]);
  assert.deepEqual(await readTree(demo.deployment.dir), before);

  for (const existing of ["public", "private"]) {
    const other = join(demo.deployment.dir, `only-${existing}`);
    await writeFile(`${other}.${existing}`, "precious\n");
    const result = await runBundle(["keygen", other]);
    assert.equal(result.code, 2, shown(result));
    assert.match(result.stderr, new RegExp(`${other}\\.${existing} already exists`));
    assert.equal(await readFile(`${other}.${existing}`, "utf8"), "precious\n");
    const missing = existing === "public" ? "private" : "public";
    await assert.rejects(stat(`${other}.${missing}`), { code: "ENOENT" }, `${missing} half not left behind`);
  }
});

/** Signs the demo schools with the new key and checks escuela1's leases against it. */
async function assertSignsWithNewKey(more: Record<string, string>): Promise<void> {
  assert.equal((await runBundle(["keygen", prefix()])).code, 0);
  await demo.deployment.writeConfig({ signing_key_path: prefix(), ...more });
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  const key = await publicKeyOf(prefix());
  const keyId = (await readFile(`${prefix()}.public`)).subarray(-32).toString("hex");
  const leases = readCanonicalSchoolFile(await readFile(join(demo.deployment.leasesDir, "by-school", SCHOOL1), "latin1"));
  const listed = demoDataset().schools.get(SCHOOL1)?.laptops ?? [];
  assert.equal(leases.size, 4);
  for (const [serial, text] of leases) {
    for (const line of text.split(/(?<=\n)/)) {
      const [, , , expiry, , , id, sig] = line.trimEnd().split(" ");
      assert.equal(id, keyId);
      const uuids = listed.filter((l) => l.serial === serial).map((l) => l.uuid as string);
      assert.ok(
        uuids.some((uuid) => verifyLeaseSignature(key, `${serial}:${uuid}:K:${expiry}`, sig as string)),
        `${serial}: verifies with the new key`,
      );
    }
  }
}

test("the native signer signs with a keygen key, and its leases verify", async () => {
  await assertSignsWithNewKey({});
});

test("make-lease.sh (the test double) signs with a keygen key, and its leases verify", async () => {
  await assertSignsWithNewKey({ signer: "bios-crypto", bios_crypto_path: join(ROOT, "test", "fixtures", "bios-crypto") });
});
