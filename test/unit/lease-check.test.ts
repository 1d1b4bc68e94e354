// Checking leases on disk as the firmware does, without the RSA step: bios-crypto's own lease
// (../shared/vectors) passes; each way a line or a school file can be wrong is named.
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { schoolFileText } from "../../src/core/canonical-json.js";
import type { Expiry, Serial, Uuid } from "../../src/core/domain.js";
import { leaseLine } from "../../src/core/lease.js";
import {
  checkSchoolFile,
  isNotice,
  leaseChecker,
  signatureProblems,
  signedMessages,
  type CheckedLine,
} from "../../src/core/lease-check.js";
import { signLeaseMessage, verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { VECTORS } from "../support/keys.js";

const vectorLine = readFileSync(join(VECTORS, "act01-sig01.sig"), "latin1");
const publicDer = readFileSync(join(VECTORS, "lease.public"));
const keyId = publicDer.subarray(-32).toString("hex");
const serial = "SHC12345678" as Serial;
const uuid = "8BF9AC40-26F8-4BCC-A699-BE51FD366419" as Uuid;
const now = new Date("2026-11-23T10:00:00Z");
const checkLeaseText = (forSerial: Serial, text: string, withKeyId: string, at: Date): ReturnType<ReturnType<typeof leaseChecker>> =>
  leaseChecker(withKeyId, at)(forSerial, text);
const privateKey = createPrivateKey({ key: readFileSync(join(VECTORS, "lease.private")), format: "der", type: "pkcs1" });

/** A lease for `serial` signed with the vector key for `uuid`, expiring at `expiry`. */
function lease(expiry: string, forUuid: string = uuid): string {
  const signature = signLeaseMessage(privateKey, 2048, `${serial}:${forUuid}:K:${expiry}`);
  return leaseLine(serial, expiry as Expiry, keyId, signature);
}

test("bios-crypto's lease passes every check, and its signed message verifies", () => {
  const check = checkLeaseText(serial, vectorLine, keyId, now);
  assert.deepEqual(check.problems, []);
  assert.equal(check.lineCount, 1);
  const [line] = check.lines as [CheckedLine];
  assert.equal(line.number, 1);
  const [message] = signedMessages(serial, [uuid], line);
  assert.equal(message, `${serial}:${uuid}:K:${line.expiry}`);
  const key = createPublicKey({ key: publicDer, format: "der", type: "pkcs1" });
  assert.equal(verifyLeaseSignature(key, message as string, line.signature), true);
});

test("a line not exactly in the format is named, with the line's number", () => {
  const bad = [
    vectorLine.trimEnd(),
    vectorLine.replace("\n", " \n"),
    vectorLine.replace("\n", "\r\n"),
    vectorLine.replace(/[0-9a-f]{512}/, (sig) => sig.toUpperCase()),
    vectorLine.replace("act01: ", "act01:  "),
    vectorLine.replace(" K ", " X "),
    vectorLine.replace(/[0-9a-f]{512}/, (sig) => sig.slice(2)),
  ];
  for (const text of bad) {
    const check = checkLeaseText(serial, text, keyId, now);
    assert.equal(check.problems.length, 1, JSON.stringify(text.slice(-20)));
    assert.equal(check.problems[0]?.kind, "bad-line");
    assert.match(check.problems[0]?.what ?? "", /^line 1 is not "act01: <SN> K <EXPIRY> sig01: sha256 <KEYID> <SIG>" and LF/);
    assert.deepEqual(check.lines, []);
  }
  assert.match(checkLeaseText(serial, vectorLine.trimEnd(), keyId, now).problems[0]?.what ?? "", /no LF at its end/);
  const junk = checkLeaseText(serial, `${vectorLine}junk`, keyId, now);
  assert.equal(junk.problems.length, 1);
  assert.match(junk.problems[0]?.what ?? "", /^line 2 is not .* \(no LF at its end\): "junk"$/);
  assert.equal(junk.lines.length, 1, "the good line is still checked");
  assert.deepEqual(checkLeaseText(serial, "", keyId, now).problems, [{ kind: "bad-line", what: "no lease line" }]);
});

test("another serial's lease, another key's lease, an expired lease and an impossible date are each named", () => {
  const other = checkLeaseText("SHC00000001" as Serial, vectorLine, keyId, now);
  assert.deepEqual(
    other.problems.map((p) => [p.kind, p.what]),
    [["wrong-serial", "line 1 is a lease for SHC12345678"]],
  );
  const otherKey = "ab".repeat(32);
  const wrongKey = checkLeaseText(serial, vectorLine, otherKey, now);
  assert.equal(wrongKey.problems[0]?.kind, "wrong-key");
  assert.match(wrongKey.problems[0]?.what ?? "", new RegExp(`key id ${keyId}; the configured key's is ${otherKey}`));
  const expiry = vectorLine.split(" ")[3] as string;
  const expired = checkLeaseText(serial, vectorLine, keyId, new Date(Date.UTC(2100, 0, 1)));
  assert.deepEqual(
    expired.problems.map((p) => [p.kind, p.what]),
    [["expired", `line 1 expired at ${expiry}`]],
  );
  assert.deepEqual(expired.lines, [], "an expired line is not worth a signature check");
  const impossible = checkLeaseText(serial, lease("20301332T060000Z"), keyId, now);
  assert.deepEqual(
    impossible.problems.map((p) => p.kind),
    ["bad-line"],
  );
  assert.match(impossible.problems[0]?.what ?? "", /expiry 20301332T060000Z is not a real date/);
  assert.deepEqual(checkLeaseText(serial, lease("00000000T000000Z"), keyId, now).problems, [], "the firmware's never-expires");
});

test("a serial's lines must be sorted and distinct, as the run writes them: otherwise a notice (the laptop uses the line that verifies)", () => {
  const [a, b] = [lease("20301231T060000Z"), lease("20301231T060000Z", "AAAAAAAA-26F8-4BCC-A699-BE51FD366419")].sort();
  assert.deepEqual(checkLeaseText(serial, `${a}${b}`, keyId, now).problems, []);
  for (const text of [`${b}${a}`, `${a}${a}`]) {
    const check = checkLeaseText(serial, text, keyId, now);
    assert.deepEqual(
      check.problems.map((p) => [p.kind, p.what, isNotice(p.kind)]),
      [["lines-not-sorted", "its lease lines are not sorted and distinct (the laptop uses the one that verifies)", true]],
    );
    assert.equal(check.lines.length, 2);
  }
});

test("each line must verify for a recorded UUID, and each recorded UUID must have a line", () => {
  const uuids = [uuid, "AAAAAAAA-26F8-4BCC-A699-BE51FD366419" as Uuid];
  const lines: CheckedLine[] = [
    { number: 1, expiry: "20301231T060000Z" as Expiry, signature: "00" },
    { number: 2, expiry: "20301231T060000Z" as Expiry, signature: "00" },
  ];
  assert.deepEqual(signatureProblems(lines, 2, uuids, [1, 0]), []);
  assert.deepEqual(
    signatureProblems(lines, 2, uuids, [0, -1]).map((p) => [p.kind, p.what]),
    [["bad-signature", `line 2: the signature does not verify for any of its recorded UUIDs (${uuids.join(", ")})`]],
    "a bad line is one problem, not also a missing UUID",
  );
  assert.deepEqual(
    signatureProblems(lines.slice(0, 1), 1, uuids.slice(0, 1), [-1]).map((p) => p.what),
    [`line 1: the signature does not verify for its recorded UUID ${uuid}`],
  );
  assert.deepEqual(
    signatureProblems(lines, 2, uuids, [0, 0]).map((p) => [p.kind, p.what]),
    [["no-lease-for-uuid", `no lease line verifies for its recorded UUID ${uuids[1]}`]],
  );
  assert.deepEqual(signatureProblems(lines.slice(0, 1), 2, uuids, [0]), [], "a broken line was told already");
});

test("a school file must read back to the same bytes: canonical JSON as the run writes it", () => {
  const leases = new Map([
    ["SHC00000001", "a\n"],
    ["SHC00000002", "b\n"],
  ]);
  const text = schoolFileText(leases);
  assert.deepEqual(checkSchoolFile(Buffer.from(text)), { leases });
  assert.deepEqual(checkSchoolFile(Buffer.from("[1,{}]")), { leases: new Map() });
  const notCanonical = [
    '[1,{"SHC00000002":"b\n","SHC00000001":"a\n"}]',
    '[1,{"SHC00000001":"a\\n","SHC00000002":"b\n"}]',
    '[1,{"SHC00000001":"a\n","SHC00000001":"a\n"}]',
    '[1,{"SHC00000001" :"a\n"}]',
  ];
  for (const bad of notCanonical) {
    const { problem } = checkSchoolFile(Buffer.from(bad));
    assert.equal(problem?.kind, "not-canonical", bad);
  }
  const unreadable = checkSchoolFile(Buffer.from(`${text}\n`));
  assert.equal(unreadable.leases, undefined);
  assert.equal(unreadable.problem?.kind, "not-canonical");
  assert.match(unreadable.problem?.what ?? "", /must start with \[1,\{ and end with \}\]/);
  assert.equal(
    checkSchoolFile(Buffer.from(text.replace("a\n", "a\r\n"))).problem,
    undefined,
    "the bytes of a value are the lines' business",
  );
});
