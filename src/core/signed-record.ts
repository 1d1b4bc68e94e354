// What a run last signed for a school, kept in `state_dir/signed/<hostname>.json`: the serial
// and UUID pairs exactly as signed, the expiry, and when. The lease lines do not hold the UUID,
// so this is what lets `verify` check each signature as the laptop will. It also says what the
// school's by-school file held when this state_dir last wrote it, so that a run tells its own
// files from another configuration's on the same leases_dir. One JSON document:
//   {"version":1,"hostname":"…","expiry":"YYYYMMDDTHHMMSSZ","regeneratedAt":"<ISO 8601>",
//    "laptops":[["<SN>","<UUID>"],…],"schoolFileSha256":"<64 hex>"}
// sorted by serial then UUID, then LF; records written before schoolFileSha256 was kept have
// none. A school held by the shrink guard (school-plan.ts) also has "heldAdded":["<SN>",…], the
// serials added to its files while it was held. A file that is not exactly that is refused,
// naming why.
import { createHash } from "node:crypto";
import { expiryTime, parseHostname, parseSerial, parseUuid, type Expiry, type Hostname, type Laptop, type Serial } from "./domain.js";

export interface SignedRecord {
  readonly hostname: Hostname;
  readonly expiry: Expiry;
  readonly regeneratedAt: Date;
  /** Sorted by serial, then UUID. */
  readonly laptops: readonly Laptop[];
  /** SHA-256 (hex) of the by-school file as this state_dir last wrote it; absent in older records. */
  readonly schoolFileSha256?: string | undefined;
  /** Serials added while the school was held: not counted as its own by the shrink guard yet. */
  readonly heldAdded?: readonly Serial[] | undefined;
}

/** The digest a record keeps of a by-school file's bytes. */
export function schoolFileDigest(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const DIGEST = /^[0-9a-f]{64}$/;

export class RecordError extends Error {}

export function signedRecordText(record: SignedRecord): string {
  const document = {
    version: 1,
    hostname: record.hostname,
    expiry: record.expiry,
    regeneratedAt: record.regeneratedAt.toISOString(),
    laptops: record.laptops.map((laptop) => [laptop.serial, laptop.uuid]),
    schoolFileSha256: record.schoolFileSha256,
    ...(record.heldAdded && record.heldAdded.length > 0 ? { heldAdded: record.heldAdded } : {}),
  };
  return `${JSON.stringify(document)}\n`;
}

/** Reads a record back; throws RecordError if it is damaged or is not `hostname`'s. */
export function readSignedRecord(text: string, hostname: Hostname): SignedRecord {
  const fail = (why: string): never => {
    throw new RecordError(`not a signed-leases record: ${why}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    fail("not JSON");
  }
  if (typeof document !== "object" || document === null) return fail("not a JSON object");
  const { version, hostname: recorded, expiry, regeneratedAt, laptops, schoolFileSha256, heldAdded } = document as Record<string, unknown>;
  if (version !== 1) fail("unknown version");
  if (typeof recorded !== "string" || !parseHostname(recorded).ok || recorded !== hostname) fail(`it is not ${hostname}'s`);
  if (typeof expiry !== "string" || expiryTime(expiry) === undefined) fail("bad expiry");
  const at = typeof regeneratedAt === "string" ? new Date(regeneratedAt) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) fail("bad regeneratedAt");
  if (!Array.isArray(laptops)) return fail("laptops is not a list");
  if (schoolFileSha256 !== undefined && !(typeof schoolFileSha256 === "string" && DIGEST.test(schoolFileSha256)))
    fail("bad schoolFileSha256");
  if (heldAdded !== undefined && !Array.isArray(heldAdded)) return fail("heldAdded is not a list");
  const held = ((heldAdded ?? []) as unknown[]).map((serial, i) => {
    const s = parseSerial(typeof serial === "string" ? serial : "");
    return s.ok ? s.value : fail(`heldAdded ${i + 1}: ${s.reason}`);
  });
  return {
    hostname,
    expiry: expiry as Expiry,
    regeneratedAt: at as Date,
    laptops: laptops.map((pair: unknown, i) => {
      const [serial, uuid] = Array.isArray(pair) && pair.length === 2 ? (pair as unknown[]) : [];
      const s = parseSerial(typeof serial === "string" ? serial : "");
      const u = parseUuid(typeof uuid === "string" ? uuid : "");
      if (!s.ok || !u.ok) return fail(`laptop ${i + 1}: ${s.ok ? (u.ok ? "" : u.reason) : s.reason}`);
      return { serial: s.value, uuid: u.value };
    }),
    ...(schoolFileSha256 === undefined ? {} : { schoolFileSha256: schoolFileSha256 as string }),
    ...(held.length > 0 ? { heldAdded: held } : {}),
  };
}
