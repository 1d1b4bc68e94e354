import assert from "node:assert/strict";
import { test } from "node:test";
import { rejectedSummary, selectLaptops, serialsOf } from "../../src/core/laptop-selection.js";
import { readStolenListText, stolenCsvText, stolenListText, validateStolenList } from "../../src/core/stolen-list.js";

const U1 = "CCFA84AD-6C1A-BE3C-C427-A0FC8B523632";
const U2 = "8bf9ac40-26f8-4bcc-a699-be51fd366419";

test("duplicates collapse; a serial with two UUIDs keeps both; sorted; UUID case kept", () => {
  const selection = selectLaptops(
    [
      { serial: "SHC44444444", uuid: U1 },
      { serial: "SHC12345678", uuid: U2 },
      { serial: "SHC44444444", uuid: U1 },
      { serial: "SHC44444444", uuid: U2 },
    ],
    new Set(),
  );
  assert.deepEqual(selection.laptops, [
    { serial: "SHC12345678", uuid: U2 },
    { serial: "SHC44444444", uuid: U2 },
    { serial: "SHC44444444", uuid: U1 },
  ]);
  assert.deepEqual([...serialsOf(selection.laptops)], ["SHC12345678", "SHC44444444"]);
});

test("malformed laptops are rejected with their reason; stolen ones are set apart", () => {
  const selection = selectLaptops(
    [
      { serial: "SHC1", uuid: U1 },
      { serial: "SHC44444444", uuid: "ABC2" },
      { serial: "SHC55555555", uuid: null },
      { serial: "SHC66666666", uuid: U1 },
      { serial: "SHC77777777", uuid: U1 },
    ],
    new Set(["SHC66666666"]),
  );
  assert.deepEqual(selection.laptops, [{ serial: "SHC77777777", uuid: U1 }]);
  assert.deepEqual(selection.rejected, [
    { serial: "SHC1", uuid: U1, problem: "bad serial" },
    { serial: "SHC44444444", uuid: "ABC2", problem: "bad UUID" },
    { serial: "SHC55555555", uuid: null, problem: "no UUID" },
  ]);
  assert.deepEqual(selection.stolen, ["SHC66666666"]);
});

test("a school's serials are read as the stolen list's: trimmed and upper-cased; UUIDs trimmed, never re-cased", () => {
  const listed = [
    { serial: " shc00000001 ", uuid: ` ${U2}\n` },
    { serial: "Shc00000002", uuid: U1 },
    { serial: "SHC00000001", uuid: U2 },
  ];
  const selection = selectLaptops(listed, new Set());
  assert.deepEqual(selection.laptops, [
    { serial: "SHC00000001", uuid: U2 },
    { serial: "SHC00000002", uuid: U1 },
  ]);
  assert.deepEqual(selection.rejected, []);
  const stolen = validateStolenList(listed);
  assert.deepEqual(
    stolen.laptops.map((laptop) => [laptop.serial, laptop.uuid]),
    [
      ["SHC00000001", U2],
      ["SHC00000002", U1],
      ["SHC00000001", U2],
    ],
  );
  // Either list: the same laptop is the same laptop, and a stolen one gets no lease.
  assert.deepEqual(selectLaptops([{ serial: " shc00000002", uuid: U1 }], new Set(["SHC00000002"])).stolen, ["SHC00000002"]);
});

test("rejected laptops are told in one line, however many: the count per problem and a few examples", () => {
  const many = Array.from({ length: 20000 }, (_, i) => ({ serial: `SHC${String(i).padStart(8, "0")}`, uuid: "ABC2" }));
  const selection = selectLaptops([...many, { serial: "x".repeat(100_000), uuid: U1 }, { serial: "SHC99999999", uuid: null }], new Set());
  const line = rejectedSummary(selection.rejected);
  assert.equal(
    line,
    '20000 with a UUID that is not 8-4-4-4-12 hex (SHC00000000 "ABC2", SHC00000001 "ABC2", SHC00000002 "ABC2", …), ' +
      `1 with a serial that is not 11 characters A-Z 0-9 ("${"x".repeat(40)}…"), 1 without a UUID (SHC99999999)`,
  );
});

test("stolen files: inventario's order, empty UUID for nil, bad serials dropped", () => {
  const list = validateStolenList([
    { serial: "SHC10000010", uuid: U1 },
    { serial: "SHC10000009", uuid: null },
    { serial: "bad,serial\n", uuid: null },
    { serial: "SHC10000011", uuid: "nope" },
  ]);
  assert.equal(stolenCsvText(list.laptops), `SHC10000010,${U1}\nSHC10000009,\nSHC10000011,\n`);
  assert.equal(stolenListText(list.laptops), "SHC10000010\nSHC10000009\nSHC10000011\n");
  assert.equal(list.rejected.length, 2);
  assert.deepEqual([...readStolenListText(stolenListText(list.laptops))], ["SHC10000010", "SHC10000009", "SHC10000011"]);
  assert.equal(stolenCsvText([]), "");
});
