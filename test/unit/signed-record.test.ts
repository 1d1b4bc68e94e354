import assert from "node:assert/strict";
import { test } from "node:test";
import type { Expiry, Hostname, Laptop, Serial, Uuid } from "../../src/core/domain.js";
import {
  RecordError,
  readSignedRecord,
  renewalRecord,
  sameStamp,
  schoolFileDigest,
  signedRecordText,
  signingLookup,
} from "../../src/core/signed-record.js";

const hostname = "schoolserver.escuela1.example.org" as Hostname;
const laptops: Laptop[] = [
  { serial: "SHC00000001" as Serial, uuid: "8BF9AC40-26F8-4BCC-A699-BE51FD366419" as Uuid },
  { serial: "SHC00000001" as Serial, uuid: "aaaaaaaa-26f8-4bcc-a699-be51fd366419" as Uuid },
];
const record = { hostname, expiry: "20301231T060000Z" as Expiry, regeneratedAt: new Date("2026-11-23T10:00:00.000Z"), laptops };

test("a signed-leases record reads back as written, UUIDs byte for byte", () => {
  const text = signedRecordText(record);
  assert.equal(
    text,
    '{"version":1,"hostname":"schoolserver.escuela1.example.org","expiry":"20301231T060000Z","regeneratedAt":"2026-11-23T10:00:00.000Z",' +
      '"laptops":[["SHC00000001","8BF9AC40-26F8-4BCC-A699-BE51FD366419"],["SHC00000001","aaaaaaaa-26f8-4bcc-a699-be51fd366419"]]}\n',
  );
  assert.deepEqual(readSignedRecord(text, hostname), record);
});

test("the digest of the school file this state_dir wrote is kept at the end; a record without one still reads", () => {
  const digest = schoolFileDigest(Buffer.from("[1,{}]"));
  assert.equal(digest, "ede0de807492408040925c13f91e20c5a5152f167d2e5fc064c61aa4b71f7267", "sha256sum of the bytes");
  const text = signedRecordText({ ...record, schoolFileSha256: digest });
  assert.ok(text.endsWith(`]],"schoolFileSha256":"${digest}"}\n`), text);
  assert.deepEqual(readSignedRecord(text, hostname), { ...record, schoolFileSha256: digest });
  assert.equal(readSignedRecord(signedRecordText(record), hostname).schoolFileSha256, undefined);
});

test("a held school's record also names the serials added while it was held; others' bytes are unchanged", () => {
  const held = { ...record, heldAdded: ["SHC00000001" as Serial] };
  const text = signedRecordText(held);
  assert.ok(text.endsWith(',"heldAdded":["SHC00000001"]}\n'), text);
  assert.deepEqual(readSignedRecord(text, hostname), held);
  assert.equal(signedRecordText({ ...record, heldAdded: [] }), signedRecordText(record));
  const bad = JSON.stringify({ ...(JSON.parse(text) as object), heldAdded: ["../x"] });
  assert.throws(() => readSignedRecord(bad, hostname), /heldAdded 1: serial/);
});

test("a damaged or foreign record is refused, saying why", () => {
  const good = JSON.parse(signedRecordText(record)) as Record<string, unknown>;
  const cases: [string, RegExp][] = [
    ["{", /not JSON/],
    ["[]", /unknown version/],
    [JSON.stringify({ ...good, version: 2 }), /unknown version/],
    [JSON.stringify({ ...good, hostname: "other.example.org" }), /not schoolserver\.escuela1\.example\.org's/],
    [JSON.stringify({ ...good, expiry: "2030" }), /bad expiry/],
    [JSON.stringify({ ...good, regeneratedAt: "yesterday" }), /bad regeneratedAt/],
    [JSON.stringify({ ...good, laptops: [["shc00000001", "8BF9AC40-26F8-4BCC-A699-BE51FD366419"]] }), /laptop 1: serial/],
    [JSON.stringify({ ...good, laptops: [["SHC00000001", "../../etc"]] }), /laptop 1: UUID/],
    [JSON.stringify({ ...good, laptops: "all" }), /not a list/],
    [JSON.stringify({ ...good, schoolFileSha256: "../x" }), /bad schoolFileSha256/],
  ];
  for (const [text, why] of cases)
    assert.throws(
      () => readSignedRecord(text, hostname),
      (e: unknown) => e instanceof RecordError && why.test(e.message),
      text,
    );
});

const signedAt1 = new Date("2026-11-20T10:00:00.000Z");
const signedAt2 = new Date("2026-11-23T10:00:00.000Z");
const first = { signedAt: signedAt1, expiry: "20301224T060000Z" as Expiry };
const second = { signedAt: signedAt2, expiry: "20301231T060000Z" as Expiry };
const schoolFile = { size: 1263, mtimeMs: 1795428000123.25 };
const renewed = { ...record, renewal: renewalRecord("c".repeat(64), [second, first], schoolFile) };

test("issue 17's additions: each laptop's signing, the key and the school file as written, read back as written", () => {
  assert.deepEqual(renewalRecord("c".repeat(64), [second, first, second], schoolFile).signingOf, [0, 1, 0], "distinct signings");
  const text = signedRecordText(renewed);
  assert.ok(
    text.endsWith(
      `"keyId":"${"c".repeat(64)}","signings":[["2026-11-23T10:00:00.000Z","20301231T060000Z"],["2026-11-20T10:00:00.000Z","20301224T060000Z"]],` +
        '"signingOf":[0,1],"schoolFile":{"size":1263,"mtimeMs":1795428000123.25}}\n',
    ),
    text,
  );
  assert.ok(text.startsWith(signedRecordText(record).slice(0, -2)), "the members before are unchanged");
  assert.deepEqual(readSignedRecord(text, hostname), renewed);
  assert.equal(readSignedRecord(signedRecordText(record), hostname).renewal, undefined, "a record written before them");
});

test("a damaged renewal part is refused, saying why", () => {
  const good = JSON.parse(signedRecordText(renewed)) as Record<string, unknown>;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, keyId: "x" }, /bad keyId/],
    [{ ...good, signings: "all" }, /signings is not a list/],
    [{ ...good, signings: [["yesterday", "20301231T060000Z"]] }, /signing 1: bad time/],
    [{ ...good, signings: [["2026-11-23T10:00:00.000Z", "2030"]] }, /signing 1: bad expiry/],
    [{ ...good, signingOf: [0] }, /one signing index per laptop/],
    [{ ...good, signingOf: [0, 2] }, /one signing index per laptop/],
    [{ ...good, schoolFile: { size: -1, mtimeMs: 1 } }, /bad schoolFile/],
    [{ ...good, schoolFile: undefined }, /bad schoolFile/],
  ];
  for (const [document, why] of cases)
    assert.throws(
      () => readSignedRecord(JSON.stringify(document), hostname),
      (e: unknown) => e instanceof RecordError && why.test(e.message),
      JSON.stringify(document).slice(-200),
    );
});

test("when a lease was signed: from the record for its pair and expiry; without one, when the checksum file was written", () => {
  const [a, b] = laptops as [Laptop, Laptop];
  const lookup = signingLookup(renewed, new Date(0));
  assert.deepEqual(lookup(a, second.expiry), second);
  assert.deepEqual(lookup(b, first.expiry), first);
  assert.equal(lookup(a, first.expiry), undefined, "a line of another expiry than the one signed for the pair");
  assert.equal(lookup({ serial: "SHC00000009" as Serial, uuid: a.uuid }, second.expiry), undefined, "a pair never signed");
  const ruby = signingLookup(undefined, signedAt1);
  assert.deepEqual(ruby(a, "20301231T060000Z" as Expiry), { signedAt: signedAt1, expiry: "20301231T060000Z" });
  assert.deepEqual(signingLookup(record, signedAt2)(a, first.expiry), { signedAt: signedAt2, expiry: first.expiry }, "an older record");
  assert.equal(signingLookup(undefined, undefined)(a, first.expiry), undefined);
});

test("a file stamp matches only the same size and time", () => {
  assert.equal(sameStamp(schoolFile, { ...schoolFile }), true);
  assert.equal(sameStamp(schoolFile, { ...schoolFile, size: 1264 }), false);
  assert.equal(sameStamp(schoolFile, { ...schoolFile, mtimeMs: schoolFile.mtimeMs + 0.001 }), false);
  assert.equal(sameStamp(schoolFile, undefined), false);
});
