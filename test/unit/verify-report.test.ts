// How verify tells what it found: problem lines in a stable order, a summary with the hint for
// schools whose signatures could not be checked, the exit status, and the --json document.
import assert from "node:assert/strict";
import { test } from "node:test";
import { problemLine, sortProblems, verifyExitCode, verifyJson, verifyText, type VerifyReport } from "../../src/core/verify-report.js";

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
  });
});
