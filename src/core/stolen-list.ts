// The stolen list as inventario sent it, validated, and the two files written from it.
import type { RawLaptop } from "./inventario-answers.js";
import { parseSerial, parseUuid, type Serial } from "./domain.js";
import type { RejectedLaptop } from "./laptop-selection.js";

export interface StolenLaptop {
  readonly serial: Serial;
  /** Empty when inventario has no UUID, or an unusable one, for the laptop. */
  readonly uuid: string;
}

export interface StolenList {
  readonly laptops: StolenLaptop[];
  readonly rejected: RejectedLaptop[];
}

/** Keeps inventario's order. A malformed serial can never get a lease, so dropping it is safe. */
export function validateStolenList(received: readonly RawLaptop[]): StolenList {
  const laptops: StolenLaptop[] = [];
  const rejected: RejectedLaptop[] = [];
  for (const raw of received) {
    const serial = parseSerial(raw.serial);
    if (!serial.ok) {
      rejected.push({ serial: raw.serial, reason: serial.reason });
      continue;
    }
    const uuid = raw.uuid === null ? undefined : parseUuid(raw.uuid);
    if (uuid && !uuid.ok) rejected.push({ serial: raw.serial, reason: `${uuid.reason}; listed without UUID` });
    laptops.push({ serial: serial.value, uuid: uuid?.ok ? uuid.value : "" });
  }
  return { laptops, rejected };
}

/** `stolen.csv`: `SN,UUID` per line. */
export function stolenCsvText(laptops: readonly StolenLaptop[]): string {
  return laptops.map((laptop) => `${laptop.serial},${laptop.uuid}\n`).join("");
}

/** `stolen.list`: `SN` per line. */
export function stolenListText(laptops: readonly StolenLaptop[]): string {
  return laptops.map((laptop) => `${laptop.serial}\n`).join("");
}

/** Reads a previous `stolen.list` back, keeping only well-formed serials. */
export function readStolenListText(text: string): Set<Serial> {
  const serials = new Set<Serial>();
  for (const line of text.split("\n")) {
    const serial = parseSerial(line.trim());
    if (serial.ok) serials.add(serial.value);
  }
  return serials;
}
