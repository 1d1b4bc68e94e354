// Which laptops of a school get a lease: the valid ones, once each, never a stolen one.
import type { RawLaptop } from "./inventario-answers.js";
import { byteOrder, parseSerial, parseUuid, type Laptop, type Serial } from "./domain.js";

export interface RejectedLaptop {
  readonly serial: string;
  readonly reason: string;
}

export interface LaptopSelection {
  /** Distinct (serial, UUID) pairs to sign, sorted by serial then UUID. */
  readonly laptops: Laptop[];
  /** Laptops whose serial or UUID is malformed: they get no lease. */
  readonly rejected: RejectedLaptop[];
  /** Listed laptops that are on the stolen list: they get no lease. */
  readonly stolen: Serial[];
}

export function selectLaptops(received: readonly RawLaptop[], stolen: ReadonlySet<string>): LaptopSelection {
  const chosen = new Map<string, Laptop>();
  const rejected: RejectedLaptop[] = [];
  const stolenListed = new Set<Serial>();
  for (const raw of received) {
    const serial = parseSerial(raw.serial);
    const uuid = parseUuid(raw.uuid ?? "");
    if (!serial.ok) rejected.push({ serial: raw.serial, reason: serial.reason });
    else if (!uuid.ok) rejected.push({ serial: raw.serial, reason: uuid.reason });
    else if (stolen.has(serial.value)) stolenListed.add(serial.value);
    else chosen.set(`${serial.value} ${uuid.value}`, { serial: serial.value, uuid: uuid.value });
  }
  const laptops = [...chosen.values()].sort((a, b) => byteOrder(a.serial, b.serial) || byteOrder(a.uuid, b.uuid));
  return { laptops, rejected, stolen: [...stolenListed].sort(byteOrder) };
}

/** The distinct serials of a selection, as they will appear in the by-school file. */
export function serialsOf(laptops: readonly Laptop[]): Set<Serial> {
  return new Set(laptops.map((laptop) => laptop.serial));
}
