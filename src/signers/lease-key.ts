// The deployment's lease key pair in bios-crypto's format (SPEC §3): `<path>.private` and
// `<path>.public`, both PKCS#1 DER. Read once, checked to match, and never logged.
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { ExitCode, FatalError, describe } from "../errors.js";

export interface LeaseKey {
  /** PKCS#1 DER of the private key, for the signing workers. */
  readonly privateDer: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly modulusBits: number;
  /** Lower-case hex of the public key file's last 32 bytes. */
  readonly keyId: string;
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

export async function loadLeaseKey(basePath: string): Promise<LeaseKey> {
  const privatePath = `${basePath}.private`;
  const publicPath = `${basePath}.public`;
  const [privateDer, publicDer] = [await readKeyFile(privatePath), await readKeyFile(publicPath)];
  const parse = <T>(path: string, make: () => T): T => {
    try {
      return make();
    } catch {
      // The parser's message could quote key material: keep only the file's name.
      throw new FatalError(`key file ${path} is not a PKCS#1 DER RSA key`, ExitCode.NothingDone);
    }
  };
  const privateKey = parse(privatePath, () => createPrivateKey({ key: privateDer, format: "der", type: "pkcs1" }));
  const publicKey = parse(publicPath, () => createPublicKey({ key: publicDer, format: "der", type: "pkcs1" }));
  const derivedPublic = createPublicKey(privateKey).export({ format: "der", type: "pkcs1" });
  if (!derivedPublic.equals(publicKey.export({ format: "der", type: "pkcs1" }))) {
    throw new FatalError(
      `${publicPath} is not the public half of ${privatePath}: refusing to sign leases no laptop would accept`,
      ExitCode.NothingDone,
    );
  }
  const modulusBits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (modulusBits !== 2048)
    throw new FatalError(`${publicPath} is a ${modulusBits}-bit key; XO laptops verify 2048-bit keys`, ExitCode.NothingDone);
  // 0640 with the service user's group is the recommended setup: only "others" is a leak.
  const exposed = ((await stat(privatePath)).mode & 0o004) !== 0;
  return { privateDer, privateKey, publicKey, modulusBits, keyId: publicDer.subarray(-32).toString("hex"), exposed };
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
