// Lease key pairs in bios-crypto's format for tests and the demo: `<name>.private` (0600) and
// `<name>.public`, PKCS#1 DER.
import { generateKeyPairSync } from "node:crypto";
import { copyFile, chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const SHARED = join(__dirname, "..", "..", "..", "..", "shared");
export const VECTORS = join(SHARED, "vectors");
export const FIXTURES = join(SHARED, "fixtures");

/** A new throwaway 2048-bit key pair; resolves to the path without extension. */
export async function makeKeyPair(dir: string, name = "lease"): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  const base = join(dir, name);
  await writeFile(`${base}.private`, privateKey.export({ format: "der", type: "pkcs1" }), { mode: 0o600 });
  await writeFile(`${base}.public`, publicKey.export({ format: "der", type: "pkcs1" }));
  return base;
}

/** The test key of ../shared/vectors, copied with private permissions. */
export async function copyVectorKey(dir: string): Promise<string> {
  const base = join(dir, "lease");
  await copyFile(join(VECTORS, "lease.private"), `${base}.private`);
  await copyFile(join(VECTORS, "lease.public"), `${base}.public`);
  await chmod(`${base}.private`, 0o600);
  await chmod(`${base}.public`, 0o644);
  return base;
}
