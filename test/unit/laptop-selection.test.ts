import assert from "node:assert/strict";
import { test } from "node:test";
import { selectLaptops, serialsOf } from "../../src/core/laptop-selection.js";
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
  assert.deepEqual(
    selection.rejected.map((r) => r.serial),
    ["SHC1", "SHC44444444", "SHC55555555"],
  );
  assert.match(selection.rejected[1]?.reason ?? "", /UUID "ABC2"/);
  assert.deepEqual(selection.stolen, ["SHC66666666"]);
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
