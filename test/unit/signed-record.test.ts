import assert from "node:assert/strict";
import { test } from "node:test";
import type { Expiry, Hostname, Laptop, Serial, Uuid } from "../../src/core/domain.js";
import { RecordError, readSignedRecord, schoolFileDigest, signedRecordText } from "../../src/core/signed-record.js";

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
