// One lease signature: RSASSA-PSS, SHA-256, salt of 8 bytes (the only length the firmware takes).
import { constants, privateEncrypt, sign, verify, type KeyObject } from "node:crypto";
import { emsaPssEncode } from "../core/pss.js";

export const SALT_LENGTH = 8;

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT_LENGTH };

/**
 * Lower-case hex of the signature. Leases are signed by OpenSSL with a random salt, its fastest
 * path. Given a salt, the same encoding is done here (core/pss.ts), which is how the tests
 * reproduce bios-crypto's vectors and prove that OpenSSL's signatures are exactly that encoding.
 */
export function signLeaseMessage(key: KeyObject, modulusBits: number, message: string, salt?: Buffer): string {
  const bytes = Buffer.from(message, "ascii");
  if (salt === undefined) return sign("sha256", bytes, { key, ...PSS }).toString("hex");
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, emsaPssEncode(bytes, salt, modulusBits)).toString("hex");
}

/** Whether `signatureHex` is a valid lease signature of `message` under `key` (as the firmware checks). */
export function verifyLeaseSignature(key: KeyObject, message: string, signatureHex: string): boolean {
  return verify("sha256", Buffer.from(message, "ascii"), { key, ...PSS }, Buffer.from(signatureHex, "hex"));
}
