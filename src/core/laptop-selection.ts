// Which laptops of a school get a lease: the valid ones, once each, never a stolen one.
import type { RawLaptop } from "./inventario-answers.js";
import { byteOrder, parseListedSerial, parseListedUuid, quote, type Laptop, type Serial } from "./domain.js";

/** Why a listed laptop cannot be signed. */
export type LaptopProblem = "bad serial" | "no UUID" | "bad UUID";

export interface RejectedLaptop {
  /** The serial as listed, or normalised when only the UUID is wrong. */
  readonly serial: string;
  readonly uuid: string | null;
  readonly problem: LaptopProblem;
}

export interface LaptopSelection {
  /** Distinct (serial, UUID) pairs to sign, sorted by serial then UUID. */
  readonly laptops: Laptop[];
  /** Laptops whose serial or UUID is malformed: they get no lease. */
  readonly rejected: RejectedLaptop[];
  /** Listed laptops that are on the stolen list: they get no lease. */
  readonly stolen: Serial[];
}

/** Serials and UUIDs are read as in the stolen list (domain.ts): trimmed, serials upper-cased. */
export function selectLaptops(received: readonly RawLaptop[], stolen: ReadonlySet<string>): LaptopSelection {
  const chosen = new Map<string, Laptop>();
  const rejected: RejectedLaptop[] = [];
  const stolenListed = new Set<Serial>();
  for (const raw of received) {
    const serial = parseListedSerial(raw.serial);
    const uuid = parseListedUuid(raw.uuid ?? "");
    if (!serial.ok) rejected.push({ serial: raw.serial, uuid: raw.uuid, problem: "bad serial" });
    else if (!uuid.ok) rejected.push({ serial: serial.value, uuid: raw.uuid, problem: raw.uuid === null ? "no UUID" : "bad UUID" });
    else if (stolen.has(serial.value)) stolenListed.add(serial.value);
    else chosen.set(`${serial.value} ${uuid.value}`, { serial: serial.value, uuid: uuid.value });
  }
  const laptops = [...chosen.values()].sort(laptopOrder);
  return { laptops, rejected, stolen: [...stolenListed].sort(byteOrder) };
}

/** By serial, then UUID, in byte order: the order of a school's laptops in its signed record. */
export function laptopOrder(a: Laptop, b: Laptop): number {
  return byteOrder(a.serial, b.serial) || byteOrder(a.uuid, b.uuid);
}

/** The distinct serials of a selection, as they will appear in the by-school file. */
export function serialsOf(laptops: readonly Laptop[]): Set<Serial> {
  return new Set(laptops.map((laptop) => laptop.serial));
}

const PROBLEMS: Readonly<Record<LaptopProblem, { readonly text: string; readonly field: keyof RejectedCounts }>> = {
  "bad serial": { text: "with a serial that is not 11 characters A-Z 0-9", field: "badSerial" },
  "no UUID": { text: "without a UUID", field: "noUuid" },
  "bad UUID": { text: "with a UUID that is not 8-4-4-4-12 hex", field: "badUuid" },
};
/** Examples named per problem: enough to find the records in inventario, few enough for one line. */
const EXAMPLES = 3;
/** Untrusted text in an example is cut shorter than elsewhere: several share one line. */
const EXAMPLE_LENGTH = 40;

/** How many were rejected for each problem, as log fields. */
export interface RejectedCounts {
  readonly badSerial: number;
  readonly noUuid: number;
  readonly badUuid: number;
}

export function rejectedCounts(rejected: readonly RejectedLaptop[]): RejectedCounts {
  const counts = { badSerial: 0, noUuid: 0, badUuid: 0 };
  for (const laptop of rejected) counts[PROBLEMS[laptop.problem].field] += 1;
  return counts;
}

/**
 * Rejected laptops told in one line, however many: the count per problem, with a few examples
 * each, e.g. `2 with a UUID that is not 8-4-4-4-12 hex (SHC00000001 "ABC2", SHC00000002 "")`.
 */
export function rejectedSummary(rejected: readonly RejectedLaptop[]): string {
  const examples = new Map<LaptopProblem, RejectedLaptop[]>();
  for (const laptop of rejected) {
    const some = examples.get(laptop.problem) ?? [];
    if (some.length < EXAMPLES) some.push(laptop);
    examples.set(laptop.problem, some);
  }
  const counts = rejectedCounts(rejected);
  return [...examples]
    .map(([problem, some]) => {
      const { text, field } = PROBLEMS[problem];
      const more = counts[field] > some.length ? ", …" : "";
      return `${counts[field]} ${text} (${some.map(example).join(", ")}${more})`;
    })
    .join(", ");
}

function example(laptop: RejectedLaptop): string {
  if (laptop.problem === "bad serial") return quote(laptop.serial, EXAMPLE_LENGTH);
  if (laptop.problem === "no UUID") return laptop.serial;
  return `${laptop.serial} ${quote(laptop.uuid ?? "", EXAMPLE_LENGTH)}`;
}
