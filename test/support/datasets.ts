// Datasets for the test inventario: a small one with the real server's quirks, and a
// synthetic deployment of any size for the benchmark.
import { createHash } from "node:crypto";
import { emptyDataset, type Dataset, type TestLaptop } from "./inventario-server.js";

/** A deterministic, well-formed laptop for index `i`. */
export function laptop(i: number, prefix = "SHC"): TestLaptop {
  const hex = createHash("sha1").update(`laptop ${prefix} ${i}`).digest("hex").toUpperCase();
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return { serial: `${prefix}${String(i).padStart(11 - prefix.length, "0")}`, uuid };
}

export const VECTOR_LAPTOP: TestLaptop = { serial: "SHC12345678", uuid: "8BF9AC40-26F8-4BCC-A699-BE51FD366419" };

/**
 * Three schools: one with a laptop listed twice (no DISTINCT in inventario's SQL) and a serial
 * with two UUIDs; one small; one empty. Two stolen laptops, one without UUID, one still listed.
 */
export function demoDataset(): Dataset {
  const dataset = emptyDataset();
  const twoUuids = laptop(7);
  dataset.schools.set("schoolserver.escuela1.caacupe.paraguayeduca.org", {
    laptops: [VECTOR_LAPTOP, laptop(1), laptop(2), laptop(1), twoUuids, { serial: twoUuids.serial, uuid: laptop(8).uuid }, laptop(9)],
  });
  dataset.schools.set("schoolserver.escuela2.caacupe.paraguayeduca.org", { laptops: [laptop(3), laptop(4), laptop(5)] });
  dataset.schools.set("schoolserver.escuela3.caacupe.paraguayeduca.org", { laptops: [] });
  dataset.stolen = [
    { serial: laptop(9).serial, uuid: laptop(9).uuid },
    { serial: "SHC10000009", uuid: null },
  ];
  return dataset;
}

/** `laptops` laptops spread evenly over `schools` schools. */
export function syntheticDataset(laptops: number, schools: number): Dataset {
  const dataset = emptyDataset();
  for (let s = 0; s < schools; s += 1) {
    const list: TestLaptop[] = [];
    for (let i = s; i < laptops; i += schools) list.push(laptop(i));
    dataset.schools.set(`schoolserver.escuela${s + 1}.synthetic.example.org`, { laptops: list });
  }
  return dataset;
}
