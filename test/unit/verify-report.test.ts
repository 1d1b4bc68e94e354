// How verify tells what it found: problem lines in a stable order, a summary with the hint for
// schools whose signatures could not be checked, the exit status, and the --json document.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalCommand,
  problemLine,
  sortProblems,
  verifyExitCode,
  verifyJson,
  verifyText,
  type VerifyProblem,
  type VerifyReport,
} from "../../src/core/verify-report.js";

const clean: VerifyReport = {
  leasesDir: "/var/lib/xo-activations",
  checkedAt: new Date("2026-11-23T10:00:00Z"),
  wholeTree: true,
  schools: 2,
  laptopFiles: 3,
  leaseLines: 4,
  signaturesVerified: 4,
  signaturesNotChecked: 0,
  unrecordedSchools: [],
  stolen: 1,
  problems: [],
  notices: [],
};

test("a clean tree: exit 0 and a summary saying so", () => {
  assert.equal(verifyExitCode(clean), 0);
  assert.equal(
    verifyText(clean),
    "/var/lib/xo-activations: 2 school files, 3 laptop files, 4 lease lines checked\n4 signatures verified, 0 not checked\nOK: every lease will be accepted\n",
  );
});

test("unchecked signatures alone are not a failure, and the hint names the schools and --force", () => {
  const upgraded = {
    ...clean,
    signaturesVerified: 0,
    signaturesNotChecked: 4,
    unrecordedSchools: [{ hostname: "a.example.org", leases: 4 }],
  };
  assert.equal(verifyExitCode(upgraded), 0);
  const text = verifyText(upgraded);
  assert.match(text, /^0 signatures verified, 4 not checked$/m);
  assert.match(
    text,
    /^signature not checked for 4 lease lines: .* in 1 school: a\.example\.org; run inventario-leasegen --force HOST once/m,
  );
  assert.match(text, /^OK: every lease will be accepted$/m);
});

test("problems: one line each naming the file and the serial, in file order, then FAILED and exit 1", () => {
  const problems = sortProblems([
    { file: "/l/by-school/b", serial: "SHC00000002", kind: "expired", what: "line 1 expired at 20200101T000000Z" },
    { file: "/l/by-laptop/01/SHC00000001", serial: "SHC00000001", kind: "orphan", what: "no school file lists it" },
    { file: "/l/by-school/a", kind: "not-canonical", what: "not canonical" },
  ]);
  const report = { ...clean, problems };
  assert.equal(verifyExitCode(report), 1);
  assert.deepEqual(verifyText(report).split("\n").slice(0, 3), [
    "/l/by-laptop/01/SHC00000001: SHC00000001: no school file lists it",
    "/l/by-school/a: not canonical",
    "/l/by-school/b: SHC00000002: line 1 expired at 20200101T000000Z",
  ]);
  assert.match(verifyText(report), /\nFAILED: 3 problems\n$/);
  assert.equal(
    problemLine({ file: "/l/by-school/a\nb", kind: "stray-file", what: "x" }),
    '"/l/by-school/a\\nb": x',
    "one line whatever the name",
  );
  assert.equal(
    problemLine({ file: "/l/by-school/gro.\u202eelpmaxe", kind: "stray-file", what: "x" }),
    '"/l/by-school/gro.\\u202eelpmaxe": x',
    "and never shown reversed",
  );
});

test("--json: one document with the counts and each problem's kind", () => {
  const report = { ...clean, problems: [{ file: "/l/by-school/a", kind: "not-canonical" as const, what: "why" }] };
  const document = JSON.parse(verifyJson(report)) as Record<string, unknown>;
  assert.deepEqual(document, {
    ok: false,
    leasesDir: "/var/lib/xo-activations",
    checkedAt: "2026-11-23T10:00:00.000Z",
    wholeTree: true,
    schools: 2,
    laptopFiles: 3,
    leaseLines: 4,
    signaturesVerified: 4,
    signaturesNotChecked: 0,
    unrecordedSchools: [],
    stolen: 1,
    problemCounts: { "not-canonical": 1 },
    problems: [{ file: "/l/by-school/a", serial: null, kind: "not-canonical", what: "why" }],
    noticeCounts: {},
    notices: [],
    canonicalCommand: null,
  });
});

const partial: VerifyProblem = {
  file: "/l/by-laptop/01/SHC00000001",
  serial: "SHC00000001",
  kind: "laptop-file-not-canonical",
  what: "is not the sorted distinct lease lines of the 4 school files that list it, …",
  schools: ["b.example.org"],
};

test("notices: listed and counted, exit 0, with the command that makes the tree canonical", () => {
  const notices = [
    partial,
    { file: "/l/by-school/.a.example.org.12-3.tmp", kind: "temporary-file" as const, what: "a temporary file", schools: ["a.example.org"] },
  ];
  const report = { ...clean, notices: sortProblems(notices), canonicalCommand: canonicalCommand(notices, "a.example.org") };
  assert.equal(verifyExitCode(report), 0);
  const lines = verifyText(report).trimEnd().split("\n");
  assert.deepEqual(lines, [
    "/l/by-laptop/01/SHC00000001: SHC00000001: notice: is not the sorted distinct lease lines of the 4 school files that list it, …",
    "/l/by-school/.a.example.org.12-3.tmp: notice: a temporary file",
    "/var/lib/xo-activations: 2 school files, 3 laptop files, 4 lease lines checked",
    "4 signatures verified, 0 not checked",
    "2 notices: differences that can neither lock nor unlock a laptop; inventario-leasegen --force a.example.org,b.example.org makes the tree canonical",
    "OK: every lease will be accepted",
  ]);
  const document = JSON.parse(verifyJson(report)) as Record<string, unknown>;
  assert.equal(document["ok"], true);
  assert.deepEqual(document["noticeCounts"], { "laptop-file-not-canonical": 1, "temporary-file": 1 });
  assert.deepEqual((document["notices"] as { schools: string[] }[])[0]?.schools, ["b.example.org"]);
  assert.equal(document["canonicalCommand"], "inventario-leasegen --force a.example.org,b.example.org");
  const failing = { ...report, problems: [{ file: "/l/by-school/a", kind: "expired" as const, what: "expired" }] };
  assert.equal(verifyExitCode(failing), 1, "a problem still fails, notices or not");
});

test("the canonical command: the schools named, any one school for a sweep, every school when many", () => {
  assert.equal(canonicalCommand([], "a"), undefined);
  assert.equal(
    canonicalCommand([{ file: "/l/by-laptop/01/x.1-2.tmp", kind: "temporary-file", what: "" }], "a.example.org"),
    "inventario-leasegen --force a.example.org",
  );
  const many = [...Array(11).keys()].map((i) => ({ ...partial, schools: [`s${i}.example.org`] }));
  assert.equal(canonicalCommand(many, "a"), "inventario-leasegen --force");
});
