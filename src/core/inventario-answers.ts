// The shapes of inventario's answers (SPEC §2), checked after XML parsing. Values stay raw
// strings here: the school's checksum is taken over the list exactly as received, and each
// laptop is validated later, so that one bad laptop does not cost its school its leases.
import type { RailsValue } from "./rails-xml.js";

export class AnswerShapeError extends Error {}

/** A laptop as inventario sent it, before validation. */
export interface RawLaptop {
  readonly serial: string;
  readonly uuid: string | null;
}

export interface LeaseInfo {
  readonly laptops: RawLaptop[];
  readonly expiry: string;
}

function arrayOf(value: RailsValue, what: string): RailsValue[] {
  if (!Array.isArray(value)) throw new AnswerShapeError(`${what} is not an XML array`);
  return value;
}

function recordOf(value: RailsValue, what: string): { [tag: string]: RailsValue } {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new AnswerShapeError(`${what} is not an XML element with children`);
  }
  return value;
}

function textOf(value: RailsValue | undefined, what: string): string {
  if (typeof value !== "string") throw new AnswerShapeError(`${what} is missing or not text`);
  return value;
}

function textOrNil(value: RailsValue | undefined, what: string): string | null {
  return value === null ? null : textOf(value, what);
}

function rawLaptop(value: RailsValue, what: string): RawLaptop {
  const record = recordOf(value, what);
  return {
    serial: textOf(record["serial-number"], `${what}'s serial-number`),
    uuid: textOrNil(record["uuid"], `${what}'s uuid`),
  };
}

/** `school_infos/list.xml`: the school servers' hostnames. */
export function readSchoolList(value: RailsValue): string[] {
  return arrayOf(value, "school list").map((item, i) => textOf(item, `school list item ${i + 1}`));
}

/** `laptops/requestBlackList.xml`: the stolen laptops, in inventario's order. */
export function readStolenList(value: RailsValue): RawLaptop[] {
  return arrayOf(value, "stolen list").map((item, i) => rawLaptop(item, `stolen laptop ${i + 1}`));
}

/** `school_infos/lease_info.xml`: one school's laptops and the expiry it suggests. */
export function readLeaseInfo(value: RailsValue): LeaseInfo {
  const record = recordOf(value, "lease info");
  const laptops = arrayOf(record["serials-uuids"] ?? "", "lease info's serials-uuids");
  return {
    laptops: laptops.map((item, i) => rawLaptop(item, `laptop ${i + 1}`)),
    expiry: textOf(record["expiry-date"], "lease info's expiry-date"),
  };
}
