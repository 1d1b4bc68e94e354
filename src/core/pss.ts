// EMSA-PSS encoding (RFC 8017 §9.1.1) with SHA-256 and MGF1-SHA-256, the padding of a lease
// signature. Done here rather than by OpenSSL so that the salt can be given, which lets the
// tests reproduce bios-crypto's vectors bit for bit; the RSA operation itself stays OpenSSL's.
import { createHash } from "node:crypto";

const H_LEN = 32;

const sha256 = (...parts: Buffer[]): Buffer => {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

export function mgf1(seed: Buffer, length: number): Buffer {
  const mask = Buffer.alloc(Math.ceil(length / H_LEN) * H_LEN);
  const counter = Buffer.alloc(4);
  for (let i = 0; i * H_LEN < length; i += 1) {
    counter.writeUInt32BE(i);
    sha256(seed, counter).copy(mask, i * H_LEN);
  }
  return mask.subarray(0, length);
}

/** Encodes `message` for a modulus of `modulusBits` bits; the result is as long as the modulus. */
export function emsaPssEncode(message: Buffer, salt: Buffer, modulusBits: number): Buffer {
  const emBits = modulusBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < H_LEN + salt.length + 2) throw new Error("modulus too small for PSS");
  const h = sha256(Buffer.alloc(8), sha256(message), salt);
  const db = Buffer.alloc(emLen - H_LEN - 1);
  db[db.length - salt.length - 1] = 0x01;
  salt.copy(db, db.length - salt.length);
  const mask = mgf1(h, db.length);
  for (let i = 0; i < db.length; i += 1) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  // The RSA operation takes a block as long as the modulus.
  const modulusLen = Math.ceil(modulusBits / 8);
  return modulusLen > emLen ? Buffer.concat([Buffer.alloc(modulusLen - emLen), em]) : em;
}
