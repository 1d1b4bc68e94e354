// Checking leases on disk as the laptop's firmware will (SPEC §3), except for the RSA step,
// which needs the key and is done elsewhere (signers/lease-verifier.ts) from what these checks
// return: the exact line format, the serial, the key id, an expiry in the future, and a
// serial's lines sorted and distinct as the run writes them.
import { readSchoolFile, schoolFileText } from "./canonical-json.js";
import { expiryTime, quote, type Expiry, type Laptop, type Serial, type Uuid } from "./domain.js";
import { parseLeaseLine, serialLeaseText, signedMessage, splitLeaseLines } from "./lease.js";

/** What can be wrong, one name each: the names `verify --json` gives. */
export type ProblemKind =
  | "bad-line"
  | "lines-not-sorted"
  | "wrong-serial"
  | "wrong-key"
  | "expired"
  | "bad-signature"
  | "no-lease-for-uuid"
  | "not-canonical"
  | "bad-serial"
  | "laptop-file-differs"
  | "laptop-file-not-canonical"
  | "missing-laptop-file"
  | "wrong-bucket"
  | "orphan"
  | "stolen"
  | "temporary-file"
  | "stray-file"
  | "bad-record"
  | "missing-school-file"
  | "unreadable";

export interface LeaseProblem {
  readonly kind: ProblemKind;
  readonly what: string;
  /** For a notice: the schools whose `--force` makes it canonical. */
  readonly schools?: readonly string[] | undefined;
}

/**
 * What differs from the canonical tree but can neither lock nor unlock a laptop (a reader
 * takes what it needs and passes over the rest): notices, not problems (issue 16 §15). A
 * laptop file holding some of its school files' lines, lines out of order, a temporary file, a
 * laptop file outside its bucket (a reader looks in the right one, checked on its own).
 */
const NOTICES: ReadonlySet<ProblemKind> = new Set<ProblemKind>([
  "lines-not-sorted",
  "laptop-file-not-canonical",
  "temporary-file",
  "wrong-bucket",
]);

export function isNotice(kind: ProblemKind): boolean {
  return NOTICES.has(kind);
}

/** The firmware's "never expires". */
const NEVER = "00000000T000000Z";

/** A line that passed every check that needs no key operation; its signature is still to verify. */
export interface CheckedLine {
  /** 1-based, as problems name it. */
  readonly number: number;
  readonly expiry: Expiry;
  readonly signature: string;
}

export interface LeaseTextCheck {
  readonly lines: CheckedLine[];
  readonly problems: LeaseProblem[];
  /** How many lines the text holds (well-formed or not). */
  readonly lineCount: number;
}

/** What one line's expiry says, by expiry: a school's lines share theirs. */
type ExpiryVerdict = LeaseProblem | undefined;

/**
 * A checker of a serial's stored lease text (a by-school value) against the configured key id
 * and the time now: every line, and their order.
 */
export function leaseChecker(keyId: string, now: Date): (serial: Serial, text: string) => LeaseTextCheck {
  const expiries = new Map<string, ExpiryVerdict>();
  const judgeExpiry = (expiry: string): ExpiryVerdict => {
    if (!expiries.has(expiry)) expiries.set(expiry, expiryProblem(expiry, now));
    return expiries.get(expiry);
  };
  return (serial, text) => {
    const pieces = splitLeaseLines(text);
    const problems: LeaseProblem[] = [];
    const lines: CheckedLine[] = [];
    if (pieces.length === 0) problems.push({ kind: "bad-line", what: "no lease line" });
    pieces.forEach((piece, i) => {
      const checked = checkLeaseLine(serial, piece, i + 1, keyId, judgeExpiry);
      if ("kind" in checked) problems.push(checked);
      else lines.push(checked);
    });
    if (pieces.length > 1 && serialLeaseText([...new Set(pieces)]) !== text)
      problems.push({
        kind: "lines-not-sorted",
        what: "its lease lines are not sorted and distinct (the laptop uses the one that verifies)",
      });
    return { lines, problems, lineCount: pieces.length };
  };
}

function expiryProblem(expiry: string, now: Date): ExpiryVerdict {
  if (expiry === NEVER) return undefined;
  const time = expiryTime(expiry);
  if (time === undefined) return { kind: "bad-line", what: `expiry ${expiry} is not a real date` };
  return time.getTime() <= now.getTime() ? { kind: "expired", what: `expired at ${expiry}` } : undefined;
}

function checkLeaseLine(
  serial: Serial,
  text: string,
  number: number,
  keyId: string,
  judgeExpiry: (expiry: string) => ExpiryVerdict,
): CheckedLine | LeaseProblem {
  const line = `line ${number}`;
  const fields = parseLeaseLine(text);
  if (fields === undefined) {
    const why = text.endsWith("\n") ? "" : " (no LF at its end)";
    return { kind: "bad-line", what: `${line} is not "act01: <SN> K <EXPIRY> sig01: sha256 <KEYID> <SIG>" and LF${why}: ${quote(text)}` };
  }
  if (fields.serial !== serial) return { kind: "wrong-serial", what: `${line} is a lease for ${fields.serial}` };
  if (fields.keyId !== keyId)
    return { kind: "wrong-key", what: `${line} is signed with another key (key id ${fields.keyId}; the configured key's is ${keyId})` };
  const expiry = judgeExpiry(fields.expiry);
  if (expiry) return { kind: expiry.kind, what: expiry.kind === "expired" ? `${line} ${expiry.what}` : `${line}: ${expiry.what}` };
  return { number, expiry: fields.expiry as Expiry, signature: fields.signature };
}

/** The messages a line's signature may sign: one per UUID recorded for its serial. */
export function signedMessages(serial: Serial, uuids: readonly Uuid[], line: CheckedLine): string[] {
  return uuids.map((uuid) => signedMessage({ serial, uuid } as Laptop, line.expiry));
}

/**
 * Reads what the verifier found for a serial's checked lines: `matched[i]` is the index in
 * `uuids` of the UUID that line i's signature verifies with, or -1. Every line must verify; and
 * when all of the serial's `lineCount` lines are sound, every recorded UUID must have one (the
 * laptop holding that UUID picks the line that verifies for it).
 */
export function signatureProblems(
  lines: readonly CheckedLine[],
  lineCount: number,
  uuids: readonly Uuid[],
  matched: readonly number[],
): LeaseProblem[] {
  const problems: LeaseProblem[] = [];
  lines.forEach((line, i) => {
    if (matched[i] === -1) {
      const recorded = uuids.length === 1 ? `its recorded UUID ${uuids[0]}` : `any of its recorded UUIDs (${uuids.join(", ")})`;
      problems.push({ kind: "bad-signature", what: `line ${line.number}: the signature does not verify for ${recorded}` });
    }
  });
  if (problems.length > 0 || lines.length < lineCount) return problems;
  uuids.forEach((uuid, i) => {
    if (!matched.includes(i)) problems.push({ kind: "no-lease-for-uuid", what: `no lease line verifies for its recorded UUID ${uuid}` });
  });
  return problems;
}

/**
 * Reads a by-school file, which must be canonical JSON exactly as the run writes it: parsing
 * it and writing it again must give the same bytes (keys sorted in byte order, no whitespace,
 * raw LF, no trailing newline). `leases` is undefined when it cannot be read at all.
 */
export function checkSchoolFile(bytes: Buffer): { leases?: Map<string, string>; problem?: LeaseProblem } {
  let leases: Map<string, string>;
  try {
    leases = readSchoolFile(bytes.toString("utf8"));
  } catch (error) {
    return { problem: { kind: "not-canonical", what: (error as Error).message } };
  }
  if (Buffer.from(schoolFileText(leases), "utf8").equals(bytes)) return { leases };
  const why = "not canonical JSON as the run writes it (keys sorted in byte order, each once, no whitespace, raw LF, no trailing newline)";
  return { leases, problem: { kind: "not-canonical", what: why } };
}
