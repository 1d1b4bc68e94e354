// The deployment's lease key pair in bios-crypto's format (SPEC §3): `<path>.private` and
// `<path>.public`, both PKCS#1 DER. Read once, checked to match, and never logged.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { ExitCode, FatalError, describe } from "../errors.js";

/** The public half alone: all that checking a lease needs. */
export interface LeasePublicKey {
  readonly publicKey: KeyObject;
  readonly modulusBits: number;
  /** Lower-case hex of the public key file's last 32 bytes. */
  readonly keyId: string;
}

export interface LeaseKey extends LeasePublicKey {
  /** PKCS#1 DER of the private key, for the signing workers. */
  readonly privateDer: Buffer;
  readonly privateKey: KeyObject;
  /** Set when users other than the owner and group can read the private key file. */
  readonly exposed: boolean;
}

async function readKeyFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new FatalError(`cannot read key file ${path}: ${describe(error)}`, ExitCode.NothingDone, { cause: error });
  }
}

function parseKey<T>(path: string, make: () => T): T {
  try {
    return make();
  } catch {
    // The parser's message could quote key material: keep only the file's name.
    throw new FatalError(`key file ${path} is not a PKCS#1 DER RSA key`, ExitCode.NothingDone);
  }
}

/** `<basePath>.public`, checked to be a 2048-bit RSA key; the private key is not read. */
export async function loadPublicKey(basePath: string): Promise<LeasePublicKey> {
  const publicPath = `${basePath}.public`;
  const publicDer = await readKeyFile(publicPath);
  const publicKey = parseKey(publicPath, () => createPublicKey({ key: publicDer, format: "der", type: "pkcs1" }));
  const modulusBits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (modulusBits !== 2048)
    throw new FatalError(`${publicPath} is a ${modulusBits}-bit key; XO laptops verify 2048-bit keys`, ExitCode.NothingDone);
  return { publicKey, modulusBits, keyId: publicDer.subarray(-32).toString("hex") };
}

export async function loadLeaseKey(basePath: string): Promise<LeaseKey> {
  const privatePath = `${basePath}.private`;
  const publicPath = `${basePath}.public`;
  const privateDer = await readKeyFile(privatePath);
  const publicHalf = await loadPublicKey(basePath);
  const privateKey = parseKey(privatePath, () => createPrivateKey({ key: privateDer, format: "der", type: "pkcs1" }));
  const derivedPublic = createPublicKey(privateKey).export({ format: "der", type: "pkcs1" });
  if (!derivedPublic.equals(publicHalf.publicKey.export({ format: "der", type: "pkcs1" }))) {
    throw new FatalError(
      `${publicPath} is not the public half of ${privatePath}: refusing to sign leases no laptop would accept`,
      ExitCode.NothingDone,
    );
  }
  // 0640 with the service user's group is the recommended setup: only "others" is a leak.
  const exposed = ((await stat(privatePath)).mode & 0o004) !== 0;
  return { ...publicHalf, privateDer, privateKey, exposed };
}

/** A new lease key pair as bios-crypto makes them: RSA 2048, e = 65537, both halves PKCS#1 DER. */
export async function generateLeaseKeyPair(): Promise<{ privateDer: Buffer; publicDer: Buffer }> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)("rsa", {
    modulusLength: 2048,
    publicExponent: 65537,
    privateKeyEncoding: { format: "der", type: "pkcs1" },
    publicKeyEncoding: { format: "der", type: "pkcs1" },
  });
  return { privateDer: privateKey, publicDer: publicKey };
}
