// What a run last signed for a school, kept in `state_dir/signed/<hostname>.json`: the serial
// and UUID pairs exactly as signed, the expiry, and when. The lease lines do not hold the UUID,
// so this is what lets `verify` check each signature as the laptop will. It also says when each
// lease was signed (leases kept from earlier runs were signed then), with which key, and the
// school file as written (its size and time, so that deciding that a school is up to date reads
// none of its leases; its digest, so that a run tells its own files from another
// configuration's on the same leases_dir). One JSON document:
//   {"version":1,"hostname":"…","expiry":"YYYYMMDDTHHMMSSZ","regeneratedAt":"<ISO 8601>",
//    "laptops":[["<SN>","<UUID>"],…],
//    "keyId":"<64 hex>","signings":[["<ISO 8601>","YYYYMMDDTHHMMSSZ"],…],"signingOf":[<index>,…],
//    "schoolFile":{"size":<bytes>,"mtimeMs":<number>},"schoolFileSha256":"<64 hex>"}
// laptops sorted by serial then UUID; signingOf[i] indexes laptop i's signing in signings; then
// LF. keyId, signings, signingOf and schoolFile come together or not at all (a record written
// before them); schoolFileSha256 may be missing too. A school held by the shrink guard
// (school-plan.ts) also has "heldAdded":["<SN>",…], the serials added to its files while it was
// held. A file that is not exactly that is refused, naming why.
import { createHash } from "node:crypto";
import { expiryTime, parseHostname, parseSerial, parseUuid, type Expiry, type Hostname, type Laptop, type Serial } from "./domain.js";
import type { Signing, SigningOf } from "./lease-renewal.js";

/** A file's size and modification time: a file that differs in either is not the one noted. */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** When and with what each lease was signed, and the school file the run left. */
export interface RenewalRecord {
  readonly keyId: string;
  /** Distinct. */
  readonly signings: readonly Signing[];
  /** For each of the record's laptops, the index of its lease's signing. */
  readonly signingOf: readonly number[];
  readonly schoolFile: FileStamp;
}

export interface SignedRecord {
  readonly hostname: Hostname;
  readonly expiry: Expiry;
  readonly regeneratedAt: Date;
  /** Sorted by serial, then UUID. */
  readonly laptops: readonly Laptop[];
  /** Undefined in a record written before the signings were kept. */
  readonly renewal?: RenewalRecord | undefined;
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

/** The renewal part of a record: each laptop's signing (in the laptops' order) made into distinct signings and indices. */
export function renewalRecord(keyId: string, signings: readonly Signing[], schoolFile: FileStamp): RenewalRecord {
  const distinct: Signing[] = [];
  const index = new Map<string, number>();
  const signingOf = signings.map((signing) => {
    const key = `${signing.signedAt.getTime()} ${signing.expiry}`;
    let i = index.get(key);
    if (i === undefined) {
      i = distinct.push(signing) - 1;
      index.set(key, i);
    }
    return i;
  });
  return { keyId, signings: distinct, signingOf, schoolFile };
}

/** The signings the record's leases refer to. */
export function recordedSignings(record: SignedRecord): readonly Signing[] {
  return record.renewal?.signings ?? [];
}

/**
 * When a lease line was signed, as the state knows it: from the record, for the laptop's pair
 * and the line's expiry; without a record of that (the Ruby program's state, or a record older
 * than issue 17), every lease counts as signed when the checksum file was last written.
 */
export function signingLookup(record: SignedRecord | undefined, checksumWrittenAt: Date | undefined): SigningOf {
  const renewal = record?.renewal;
  if (record === undefined || renewal === undefined) {
    return (_laptop, expiry) => (checksumWrittenAt === undefined ? undefined : { signedAt: checksumWrittenAt, expiry });
  }
  const byPair = new Map<string, Signing>();
  record.laptops.forEach((laptop, i) =>
    byPair.set(`${laptop.serial} ${laptop.uuid}`, renewal.signings[renewal.signingOf[i] as number] as Signing),
  );
  return (laptop, expiry) => {
    const signing = byPair.get(`${laptop.serial} ${laptop.uuid}`);
    return signing?.expiry === expiry ? signing : undefined;
  };
}

export function signedRecordText(record: SignedRecord): string {
  const document = {
    version: 1,
    hostname: record.hostname,
    expiry: record.expiry,
    regeneratedAt: record.regeneratedAt.toISOString(),
    laptops: record.laptops.map((laptop) => [laptop.serial, laptop.uuid]),
    ...(record.renewal && {
      keyId: record.renewal.keyId,
      signings: record.renewal.signings.map((signing) => [signing.signedAt.toISOString(), signing.expiry]),
      signingOf: record.renewal.signingOf,
      schoolFile: { size: record.renewal.schoolFile.size, mtimeMs: record.renewal.schoolFile.mtimeMs },
    }),
    schoolFileSha256: record.schoolFileSha256,
    ...(record.heldAdded && record.heldAdded.length > 0 ? { heldAdded: record.heldAdded } : {}),
  };
  return `${JSON.stringify(document)}\n`;
}

type Fail = (why: string) => never;

/** Reads a record back; throws RecordError if it is damaged or is not `hostname`'s. */
export function readSignedRecord(text: string, hostname: Hostname): SignedRecord {
  const fail: Fail = (why) => {
    throw new RecordError(`not a signed-leases record: ${why}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    fail("not JSON");
  }
  if (typeof document !== "object" || document === null) return fail("not a JSON object");
  const fields = document as Record<string, unknown>;
  const { version, hostname: recorded, expiry, regeneratedAt, laptops, schoolFileSha256, heldAdded } = fields;
  if (version !== 1) fail("unknown version");
  if (typeof recorded !== "string" || !parseHostname(recorded).ok || recorded !== hostname) fail(`it is not ${hostname}'s`);
  if (typeof expiry !== "string" || expiryTime(expiry) === undefined) fail("bad expiry");
  const at = typeof regeneratedAt === "string" ? new Date(regeneratedAt) : undefined;
  if (at === undefined || Number.isNaN(at.getTime())) fail("bad regeneratedAt");
  if (!Array.isArray(laptops)) return fail("laptops is not a list");
  const pairs = laptops.map((pair: unknown, i): Laptop => {
    const [serial, uuid] = Array.isArray(pair) && pair.length === 2 ? (pair as unknown[]) : [];
    const s = parseSerial(typeof serial === "string" ? serial : "");
    const u = parseUuid(typeof uuid === "string" ? uuid : "");
    if (!s.ok || !u.ok) return fail(`laptop ${i + 1}: ${s.ok ? (u.ok ? "" : u.reason) : s.reason}`);
    return { serial: s.value, uuid: u.value };
  });
  if (schoolFileSha256 !== undefined && !(typeof schoolFileSha256 === "string" && DIGEST.test(schoolFileSha256)))
    fail("bad schoolFileSha256");
  if (heldAdded !== undefined && !Array.isArray(heldAdded)) return fail("heldAdded is not a list");
  const held = ((heldAdded ?? []) as unknown[]).map((serial, i) => {
    const s = parseSerial(typeof serial === "string" ? serial : "");
    return s.ok ? s.value : fail(`heldAdded ${i + 1}: ${s.reason}`);
  });
  const renewal = readRenewal(fields, pairs.length, fail);
  return {
    hostname,
    expiry: expiry as Expiry,
    regeneratedAt: at as Date,
    laptops: pairs,
    ...(renewal && { renewal }),
    ...(schoolFileSha256 === undefined ? {} : { schoolFileSha256: schoolFileSha256 as string }),
    ...(held.length > 0 ? { heldAdded: held } : {}),
  };
}

function readRenewal(fields: Record<string, unknown>, laptops: number, fail: Fail): RenewalRecord | undefined {
  const { keyId, signings, signingOf, schoolFile } = fields;
  if ([keyId, signings, signingOf, schoolFile].every((field) => field === undefined)) return undefined;
  if (typeof keyId !== "string" || !DIGEST.test(keyId)) fail("bad keyId");
  if (!Array.isArray(signings)) return fail("signings is not a list");
  const read = signings.map((pair: unknown, i): Signing => {
    const [iso, expiry] = Array.isArray(pair) && pair.length === 2 ? (pair as unknown[]) : [];
    const signedAt = typeof iso === "string" ? new Date(iso) : undefined;
    if (signedAt === undefined || Number.isNaN(signedAt.getTime())) return fail(`signing ${i + 1}: bad time`);
    if (typeof expiry !== "string" || expiryTime(expiry) === undefined) return fail(`signing ${i + 1}: bad expiry`);
    return { signedAt, expiry: expiry as Expiry };
  });
  const indexOk = (index: unknown): boolean => Number.isInteger(index) && (index as number) >= 0 && (index as number) < read.length;
  if (!Array.isArray(signingOf) || signingOf.length !== laptops || !signingOf.every(indexOk))
    fail("signingOf is not one signing index per laptop");
  const { size, mtimeMs } = (typeof schoolFile === "object" && schoolFile !== null ? schoolFile : {}) as Record<string, unknown>;
  if (!Number.isInteger(size) || (size as number) < 0 || typeof mtimeMs !== "number" || !Number.isFinite(mtimeMs)) fail("bad schoolFile");
  return {
    keyId: keyId as string,
    signings: read,
    signingOf: signingOf as number[],
    schoolFile: { size: size as number, mtimeMs: mtimeMs as number },
  };
}
