// The stolen list as inventario sent it, validated, and the two files written from it.
import type { RawLaptop } from "./inventario-answers.js";
import { parseListedSerial, parseListedUuid, parseSerial, type Serial } from "./domain.js";
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

/**
 * Keeps inventario's order. Serials and UUIDs are read as in a school's list (domain.ts):
 * `shc00000052` still stops SHC00000052's lease; what is not a serial even then can match no
 * lease and is left out; an entry whose UUID is not one is listed without it.
 */
export function validateStolenList(received: readonly RawLaptop[]): StolenList {
  const laptops: StolenLaptop[] = [];
  const rejected: RejectedLaptop[] = [];
  for (const raw of received) {
    const serial = parseListedSerial(raw.serial);
    if (!serial.ok) {
      rejected.push({ serial: raw.serial, uuid: raw.uuid, problem: "bad serial" });
      continue;
    }
    const uuid = raw.uuid === null ? undefined : parseListedUuid(raw.uuid);
    if (uuid && !uuid.ok) rejected.push({ serial: serial.value, uuid: raw.uuid, problem: "bad UUID" });
    laptops.push({ serial: serial.value, uuid: uuid?.ok ? uuid.value : "" });
  }
  return { laptops, rejected };
}

export type StolenListPlan =
  | { readonly action: "apply"; readonly serials: ReadonlySet<Serial> }
  | {
      readonly action: "hold";
      readonly serials: ReadonlySet<Serial>;
      readonly previousCount: number;
      readonly newCount: number;
      /** Entries of the previous list that the new one would drop. */
      readonly dropped: number;
    };

/**
 * A list that loses more than `maxShrinkPercent` of its entries at once (emptied by accident,
 * say) would renew every laptop it drops: it is held, and the previous list stays in force
 * together with the new entries, until `--force`. Without a previous list there is nothing to hold.
 */
export function planStolenList(
  previous: ReadonlySet<Serial> | undefined,
  received: ReadonlySet<Serial>,
  policy: { readonly force: boolean; readonly maxShrinkPercent: number },
): StolenListPlan {
  if (previous === undefined || policy.force) return { action: "apply", serials: received };
  let dropped = 0;
  for (const serial of previous) if (!received.has(serial)) dropped += 1;
  if (dropped * 100 <= policy.maxShrinkPercent * previous.size) return { action: "apply", serials: received };
  return { action: "hold", serials: new Set([...previous, ...received]), previousCount: previous.size, newCount: received.size, dropped };
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
