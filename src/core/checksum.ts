// The school checksum of the Ruby original, kept so that an upgraded deployment keeps its state:
// MD5 hex of the lines "<serial> <uuid>", duplicates included, sorted by byte order, joined by LF.
import { createHash } from "node:crypto";
import type { RawLaptop } from "./inventario-answers.js";
import { byteOrder } from "./domain.js";

export function schoolChecksum(laptops: readonly RawLaptop[]): string {
  const lines = laptops.map((laptop) => `${laptop.serial} ${laptop.uuid ?? ""}`).sort(byteOrder);
  return createHash("md5").update(lines.join("\n"), "utf8").digest("hex");
}

/** The bytes of a `<hostname>.checksum` file. */
export function checksumFileText(checksum: string): string {
  return `${checksum}\n`;
}

/** Reads a checksum file as written by this program or the Ruby one; undefined if unusable. */
export function readChecksumFile(text: string): string | undefined {
  const checksum = text.trim();
  return /^[0-9a-f]{32}$/.test(checksum) ? checksum : undefined;
}
