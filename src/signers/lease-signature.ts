// One lease signature: RSASSA-PSS, SHA-256, salt of 8 bytes (the only length the firmware takes).
import { constants, privateEncrypt, randomBytes, verify, type KeyObject } from "node:crypto";
import { emsaPssEncode } from "../core/pss.js";

export const SALT_LENGTH = 8;

/** Lower-case hex of the signature; `salt` is random unless a test gives one. */
export function signLeaseMessage(key: KeyObject, modulusBits: number, message: string, salt: Buffer = randomBytes(SALT_LENGTH)): string {
  const encoded = emsaPssEncode(Buffer.from(message, "ascii"), salt, modulusBits);
  return privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, encoded).toString("hex");
}

/** Whether `signatureHex` is a valid lease signature of `message` under `key` (as the firmware checks). */
export function verifyLeaseSignature(key: KeyObject, message: string, signatureHex: string): boolean {
  const options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: SALT_LENGTH };
  return verify("sha256", Buffer.from(message, "ascii"), options, Buffer.from(signatureHex, "hex"));
}
