// The lease bytes and signatures, against leases made by the real bios-crypto (../shared/vectors).
import assert from "node:assert/strict";
import { constants, createPrivateKey, createPublicKey, publicDecrypt } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { isLeaseLineFor, leaseExpiry, leaseLine, serialLeaseText, signedMessage } from "../../src/core/lease.js";
import type { Expiry, Laptop, Serial, Uuid } from "../../src/core/domain.js";
import { mgf1 } from "../../src/core/pss.js";
import { signLeaseMessage, verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { VECTORS } from "../support/keys.js";

const vector = (name: string): string => readFileSync(join(VECTORS, name), "latin1");
const privateKey = createPrivateKey({ key: readFileSync(join(VECTORS, "lease.private")), format: "der", type: "pkcs1" });
const publicDer = readFileSync(join(VECTORS, "lease.public"));
const publicKey = createPublicKey({ key: publicDer, format: "der", type: "pkcs1" });
const laptop: Laptop = { serial: "SHC12345678" as Serial, uuid: "8BF9AC40-26F8-4BCC-A699-BE51FD366419" as Uuid };
const expiry = "20300101T000000Z" as Expiry;
const keyId = publicDer.subarray(-32).toString("hex");

function salt(file: string): Buffer {
  const line = vector("salts.txt")
    .split("\n")
    .find((l) => l.startsWith(`${file} `));
  return Buffer.from(/salt\[lease\]=([0-9a-f]{16})/.exec(line ?? "")?.[1] ?? "", "hex");
}

test("the signed message is <SN>:<UUID>:K:<EXPIRY>, 67 bytes", () => {
  const message = signedMessage(laptop, expiry);
  assert.equal(message, "SHC12345678:8BF9AC40-26F8-4BCC-A699-BE51FD366419:K:20300101T000000Z");
  assert.equal(Buffer.byteLength(message), 67);
});

test("given the vector's salt, the native signature reproduces act01-sig01.sig bit for bit", () => {
  const signature = signLeaseMessage(privateKey, 2048, signedMessage(laptop, expiry), salt("act01-sig01.sig"));
  assert.equal(leaseLine(laptop.serial, expiry, keyId, signature), vector("act01-sig01.sig"));
});

test("the same encoder reproduces dev01.sig (another message, another salt)", () => {
  const [, , , , , , , sig] = vector("dev01.sig").trimEnd().split(" ");
  const message = "SHC12345678:8BF9AC40-26F8-4BCC-A699-BE51FD366419:A:00000000T000000Z";
  assert.equal(signLeaseMessage(privateKey, 2048, message, salt("dev01.sig")), sig);
});

test("a random-salt lease is 630 bytes, verifies with OpenSSL's PSS (salt 8), and differs each time", () => {
  const one = leaseLine(laptop.serial, expiry, keyId, signLeaseMessage(privateKey, 2048, signedMessage(laptop, expiry)));
  const two = leaseLine(laptop.serial, expiry, keyId, signLeaseMessage(privateKey, 2048, signedMessage(laptop, expiry)));
  assert.equal(one.length, 630);
  assert.notEqual(one, two);
  for (const line of [one, two])
    assert.equal(verifyLeaseSignature(publicKey, signedMessage(laptop, expiry), line.split(" ")[7]?.trim() ?? ""), true);
  const otherUuid = { ...laptop, uuid: laptop.uuid.toLowerCase() as Uuid };
  assert.equal(verifyLeaseSignature(publicKey, signedMessage(otherUuid, expiry), one.split(" ")[7]?.trim() ?? ""), false);
});

test("OpenSSL's random-salt signatures are exactly this encoding with their salt (both paths agree)", () => {
  const message = signedMessage(laptop, expiry);
  for (let i = 0; i < 5; i += 1) {
    const signature = signLeaseMessage(privateKey, 2048, message);
    // Undo the RSA operation and the mask to find the salt OpenSSL chose (RFC 8017 §9.1.2).
    const em = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, Buffer.from(signature, "hex"));
    const maskedDb = em.subarray(0, 256 - 33);
    const mask = mgf1(em.subarray(256 - 33, 256 - 1), maskedDb.length);
    const salt = Buffer.from(maskedDb.subarray(-8).map((byte, j) => byte ^ (mask[mask.length - 8 + j] as number)));
    assert.equal(signLeaseMessage(privateKey, 2048, message, salt), signature);
  }
});

test("the vector leases verify with the verifier used on bios-crypto's output", () => {
  const sig = vector("act01-sig01.sig").trimEnd().split(" ")[7] as string;
  assert.equal(verifyLeaseSignature(publicKey, signedMessage(laptop, expiry), sig), true);
});

test("isLeaseLineFor accepts exactly one well-formed line for that serial and expiry", () => {
  const line = vector("act01-sig01.sig");
  assert.equal(isLeaseLineFor(line, laptop.serial, expiry), true);
  assert.equal(isLeaseLineFor(line, "SHC44444444" as Serial, expiry), false);
  assert.equal(isLeaseLineFor(line, laptop.serial, "20300102T000000Z" as Expiry), false);
  assert.equal(isLeaseLineFor(`${line}junk`, laptop.serial, expiry), false);
  assert.equal(isLeaseLineFor(line.trimEnd(), laptop.serial, expiry), false);
  assert.equal(isLeaseLineFor(line + line, laptop.serial, expiry), false);
});

test("a serial's value is its lines sorted and concatenated", () => {
  assert.equal(serialLeaseText(["b\n", "a\n"]), "a\nb\n");
});

test("leaseExpiry reads the expiry of an activation line, whatever its signature; nothing else", () => {
  assert.equal(leaseExpiry(vector("act01-sig01.sig")), "20300101T000000Z");
  assert.equal(leaseExpiry(vector("act01-sig02.sig")), "20300101T000000Z");
  const line = vector("act01-sig01.sig");
  for (const bad of [
    vector("dev01.sig"),
    line.trimEnd(),
    `${line}${line}`,
    line.replace("K", "D"),
    line.replace("sha256", 'sha"256'),
    "",
  ]) {
    assert.equal(leaseExpiry(bad), undefined, bad.slice(0, 40));
  }
});
