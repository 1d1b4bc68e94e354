// `verify` through the built bundle (issue 8 §4): a clean tree passes; each planted defect is
// found by name, naming the file and the serial; a tree from the Ruby program passes with its
// signatures "not checked"; verify writes nothing, needs only the public key, follows no link.
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdir, readFile, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readSchoolFile, schoolFileText } from "../../src/core/canonical-json.js";
import type { Expiry, Serial } from "../../src/core/domain.js";
import { leaseLine, serialLeaseText } from "../../src/core/lease.js";
import { signLeaseMessage } from "../../src/signers/lease-signature.js";
import { laptop, VECTOR_LAPTOP } from "../support/datasets.js";
import { suggestedExpiry } from "../support/inventario-server.js";
import { BUNDLE, readTree, runBundle, useDemoDeployment, type RunResult } from "../support/harness.js";
import { makeKeyPair } from "../support/keys.js";

const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";

const demo = useDemoDeployment();

interface Problem {
  readonly file: string;
  readonly serial: string | null;
  readonly kind: string;
  readonly what: string;
}

interface VerifyDocument {
  readonly ok: boolean;
  readonly schools: number;
  readonly laptopFiles: number;
  readonly leaseLines: number;
  readonly signaturesVerified: number;
  readonly signaturesNotChecked: number;
  readonly unrecordedSchools: { hostname: string; leases: number }[];
  readonly problems: Problem[];
  readonly notices: (Problem & { schools: string[] })[];
  readonly canonicalCommand: string | null;
}

const leases = (...parts: string[]): string => join(demo.deployment.leasesDir, ...parts);
const laptopPath = (serial: string): string => leases("by-laptop", serial.slice(-2), serial);

async function firstRun(): Promise<void> {
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, result.stderr);
}

async function verify(...args: string[]): Promise<RunResult> {
  return runBundle(["verify", ...args], demo.deployment);
}

async function verifyJson(...args: string[]): Promise<{ result: RunResult; document: VerifyDocument }> {
  const result = await verify("--json", ...args);
  assert.equal(result.stderr, "");
  return { result, document: JSON.parse(result.stdout) as VerifyDocument };
}

/** A lease line for `serial`/`uuid` signed by the key at `keyPath` (the deployment's by default). */
async function signedLease(serial: string, uuid: string, expiry: string, keyPath = demo.deployment.keyPath): Promise<string> {
  const key = createPrivateKey({ key: await readFile(`${keyPath}.private`), format: "der", type: "pkcs1" });
  const keyId = (await readFile(`${keyPath}.public`)).subarray(-32).toString("hex");
  return leaseLine(serial as Serial, expiry as Expiry, keyId, signLeaseMessage(key, 2048, `${serial}:${uuid}:K:${expiry}`));
}

/** Rewrites a school file with `change` applied to its serial → lease map. */
async function editSchool(hostname: string, change: (leases: Map<string, string>) => void): Promise<void> {
  const path = leases("by-school", hostname);
  const map = readSchoolFile(await readFile(path, "utf8"));
  change(map);
  await writeFile(path, schoolFileText(map));
}

/** Gives `serial` this lease text in a school file and in its laptop file. */
async function plantLease(hostname: string, serial: string, text: string): Promise<void> {
  await editSchool(hostname, (map) => map.set(serial, text));
  await mkdir(join(laptopPath(serial), ".."), { recursive: true });
  await writeFile(laptopPath(serial), text);
}

test("a clean tree passes: every signature verified, exit 0; verify writes nothing and needs only the public key", async () => {
  await firstRun();
  const before = [...(await readTree(demo.deployment.dir))];
  // An operator who can read the public key only.
  await rename(`${demo.deployment.keyPath}.private`, join(demo.deployment.dir, "away"));
  const result = await verify();
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.equal(result.stderr, "");
  assert.equal(
    result.stdout,
    `${demo.deployment.leasesDir}: 3 school files, 7 laptop files, 8 lease lines checked\n8 signatures verified, 0 not checked\nOK: every lease will be accepted\n`,
  );
  await rename(join(demo.deployment.dir, "away"), `${demo.deployment.keyPath}.private`);
  assert.deepEqual([...(await readTree(demo.deployment.dir))], before, "nothing under the deployment changed");
  const { document } = await verifyJson();
  assert.equal(document.ok, true);
  assert.deepEqual(document.problems, []);
  assert.equal(document.signaturesVerified, 8);
});

test("planted defects are each found by name, naming the file and the serial; exit 1; harmless ones are notices", async () => {
  await firstRun();
  const expiry = suggestedExpiry();
  // One flipped signature byte, in the school file and the laptop file alike.
  const school1 = readSchoolFile(await readFile(leases("by-school", SCHOOL1), "utf8"));
  const good = school1.get("SHC00000001") as string;
  const at = good.length - 10;
  await plantLease(SCHOOL1, "SHC00000001", `${good.slice(0, at)}${good[at] === "0" ? "1" : "0"}${good.slice(at + 1)}`);
  // A lease signed with another key.
  const otherKey = await makeKeyPair(demo.deployment.dir, "other");
  await plantLease(SCHOOL1, "SHC00000002", await signedLease("SHC00000002", laptop(2).uuid as string, expiry, otherKey));
  // An expired lease, properly signed.
  await plantLease(SCHOOL2, "SHC00000003", await signedLease("SHC00000003", laptop(3).uuid as string, "20200106T060000Z"));
  // A laptop file that differs from its school file (a valid lease, but not the school's).
  await writeFile(laptopPath("SHC00000004"), await signedLease("SHC00000004", laptop(4).uuid as string, expiry));
  // A lease for a stolen laptop.
  await plantLease(SCHOOL2, "SHC00000009", await signedLease("SHC00000009", laptop(9).uuid as string, expiry));
  // An orphan laptop file; a laptop file in the wrong bucket; temporary files of both writers.
  await mkdir(join(laptopPath("SHC00000099"), ".."), { recursive: true });
  await writeFile(laptopPath("SHC00000099"), await signedLease("SHC00000099", laptop(99).uuid as string, expiry));
  await writeFile(leases("by-laptop", "03", "SHC00000005"), await readFile(laptopPath("SHC00000005")));
  await writeFile(leases("by-school", `.${SCHOOL2}.4242-1.tmp`), "[1,{");
  await writeFile(leases("by-laptop", "78", "SHC12345678.3735928559"), "");

  const { result, document } = await verifyJson();
  assert.equal(result.code, 1);
  const found = document.problems.map((p) => [p.file.slice(demo.deployment.leasesDir.length + 1), p.serial, p.kind]);
  assert.deepEqual(found, [
    ["by-laptop/04/SHC00000004", "SHC00000004", "laptop-file-differs"],
    ["by-laptop/09/SHC00000009", "SHC00000009", "stolen"],
    ["by-laptop/99/SHC00000099", "SHC00000099", "orphan"],
    [`by-school/${SCHOOL1}`, "SHC00000001", "bad-signature"],
    [`by-school/${SCHOOL1}`, "SHC00000002", "wrong-key"],
    [`by-school/${SCHOOL2}`, "SHC00000003", "expired"],
    [`by-school/${SCHOOL2}`, "SHC00000009", "stolen"],
  ]);
  // What no laptop or reader takes (a misplaced copy, temporary files): notices, with the fix.
  const noticed = document.notices.map((p) => [p.file.slice(demo.deployment.leasesDir.length + 1), p.serial, p.kind]);
  assert.deepEqual(noticed, [
    ["by-laptop/03/SHC00000005", "SHC00000005", "wrong-bucket"],
    ["by-laptop/78/SHC12345678.3735928559", null, "temporary-file"],
    [`by-school/.${SCHOOL2}.4242-1.tmp`, null, "temporary-file"],
  ]);
  assert.equal(document.canonicalCommand, `inventario-leasegen --force ${SCHOOL2}`);
  // The same, as lines for the operator, then the summary.
  const text = await verify();
  assert.equal(text.code, 1);
  const lines = text.stdout.trimEnd().split("\n");
  for (const problem of document.problems)
    assert.ok(lines.includes(`${problem.file}: ${problem.serial ? `${problem.serial}: ` : ""}${problem.what}`));
  for (const notice of document.notices)
    assert.ok(lines.includes(`${notice.file}: ${notice.serial ? `${notice.serial}: ` : ""}notice: ${notice.what}`));
  assert.match(
    text.stdout,
    new RegExp(
      `^${leases("by-school", SCHOOL1)}: SHC00000001: line 1: the signature does not verify for its recorded UUID ${laptop(1).uuid}$`,
      "m",
    ),
  );
  assert.match(text.stdout, /SHC00000002: line 1 is signed with another key/);
  assert.match(text.stdout, /SHC00000003: line 1 expired at 20200106T060000Z$/m);
  assert.match(text.stdout, /by-laptop\/04\/SHC00000004: SHC00000004: differs from its lease in by-school\/schoolserver\.escuela2/);
  assert.match(text.stdout, /SHC00000099: no school file lists it$/m);
  assert.match(
    text.stdout,
    new RegExp(`^3 notices: differences that can neither lock nor unlock a laptop; inventario-leasegen --force ${SCHOOL2} makes`, "m"),
  );
  assert.match(text.stdout, /^FAILED: 7 problems$/m);
  // SHC00000009 was never signed by a run, so school 2's record has no UUID for it.
  assert.deepEqual(document.unrecordedSchools, [{ hostname: SCHOOL2, leases: 1 }]);
});

test("a tree left by the Ruby program (no signed records) passes, its signatures counted as not checked, with the --force hint", async () => {
  await firstRun();
  await rm(join(demo.deployment.stateDir, "signed"), { recursive: true });
  const result = await verify();
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /^0 signatures verified, 8 not checked$/m);
  assert.match(
    result.stdout,
    new RegExp(
      `^signature not checked for 8 lease lines: .* in 2 schools: ${SCHOOL1}, ${SCHOOL2}; run inventario-leasegen --force HOST once for each`,
      "m",
    ),
  );
  assert.match(result.stdout, /^OK: every lease will be accepted$/m);
  // Every other check still applies.
  await writeFile(laptopPath("SHC00000004"), "junk");
  const broken = await verifyJson();
  assert.equal(broken.result.code, 1);
  assert.deepEqual(
    broken.document.problems.map((p) => p.kind),
    ["laptop-file-differs"],
  );
});

test("just taken over from the Ruby program: a serial four schools list, its laptop file one school's line, is a notice with the command that fixes it", async () => {
  // inventario lists a laptop under every school below its owner's place.
  const shared = laptop(4);
  const SCHOOL4 = "schoolserver.escuela4.caacupe.paraguayeduca.org";
  demo.server.dataset.schools.set(SCHOOL4, { laptops: [shared] });
  for (const school of [SCHOOL1, "schoolserver.escuela3.caacupe.paraguayeduca.org"])
    demo.server.dataset.schools.get(school)?.laptops.push(shared);
  await firstRun();
  // What the Ruby program leaves: no signed records, and the laptop file its last school wrote.
  await rm(join(demo.deployment.stateDir, "signed"), { recursive: true });
  const lastWriter = readSchoolFile(await readFile(leases("by-school", SCHOOL4), "utf8")).get(shared.serial) as string;
  await writeFile(laptopPath(shared.serial), lastWriter);
  const text = await verify();
  assert.equal(text.code, 0, text.stdout);
  assert.match(
    text.stdout,
    new RegExp(
      `^${laptopPath(shared.serial)}: ${shared.serial}: notice: is not the sorted distinct lease lines of the 4 school files that list it`,
      "m",
    ),
  );
  assert.match(
    text.stdout,
    new RegExp(
      `^1 notice: differences that can neither lock nor unlock a laptop; inventario-leasegen --force ${SCHOOL1} makes the tree canonical$`,
      "m",
    ),
  );
  assert.match(text.stdout, /^OK: every lease will be accepted$/m);
  const { document } = await verifyJson();
  assert.equal(document.ok, true);
  assert.deepEqual(
    document.notices.map((n) => [n.kind, n.schools]),
    [["laptop-file-not-canonical", [SCHOOL1]]],
  );
  // The command it names makes the tree canonical.
  const command = (document.canonicalCommand ?? "").split(" ");
  assert.equal(command[0], "inventario-leasegen");
  const fixed = await runBundle(command.slice(1), demo.deployment);
  assert.equal(fixed.code, 0, fixed.stderr);
  const after = await verifyJson();
  assert.equal(after.result.code, 0);
  assert.deepEqual(after.document.notices, []);
});

test("a damaged signed record is named, and makes the exit status 1", async () => {
  await firstRun();
  const record = join(demo.deployment.stateDir, "signed", `${SCHOOL1}.json`);
  await writeFile(record, '{"version":1,"hostname":"../../etc"}\n');
  const result = await verify();
  assert.equal(result.code, 1);
  assert.match(result.stdout, new RegExp(`^${record}: not a signed-leases record: it is not ${SCHOOL1}'s$`, "m"));
});

test("a serial that two schools list: its laptop file holding one school's line is a notice; a line no school holds, a problem", async () => {
  await firstRun();
  const school2 = readSchoolFile(await readFile(leases("by-school", SCHOOL2), "utf8"));
  const other = await signedLease("SHC00000003", laptop(3).uuid as string, suggestedExpiry());
  await editSchool(SCHOOL1, (map) => map.set("SHC00000003", other));
  const lastWriterOnly = await verifyJson();
  assert.equal(lastWriterOnly.result.code, 0, "every line it holds verifies: nothing can lock");
  assert.deepEqual(lastWriterOnly.document.problems, []);
  assert.deepEqual(
    lastWriterOnly.document.notices.map((p) => [p.file, p.kind]),
    [[laptopPath("SHC00000003"), "laptop-file-not-canonical"]],
  );
  assert.match(lastWriterOnly.document.notices[0]?.what ?? "", /of the 2 school files that list it/);
  await writeFile(laptopPath("SHC00000003"), serialLeaseText([school2.get("SHC00000003") as string, other]));
  const union = await verifyJson();
  assert.equal(union.result.code, 0);
  assert.deepEqual(union.document.notices, []);
  await writeFile(laptopPath("SHC00000003"), await signedLease("SHC00000003", laptop(3).uuid as string, suggestedExpiry()));
  const foreign = await verifyJson();
  assert.equal(foreign.result.code, 1, "a line that no school file holds");
  assert.deepEqual(
    foreign.document.problems.map((p) => p.kind),
    ["laptop-file-differs"],
  );
});

test("HOST… limits verify to those schools; a bad HOST or configuration is exit 2", async () => {
  await firstRun();
  await writeFile(laptopPath("SHC00000004"), "junk");
  const one = await verifyJson(SCHOOL1);
  assert.equal(one.result.code, 0);
  assert.equal(one.document.schools, 1);
  assert.equal(one.document.leaseLines, 5);
  const two = await verifyJson(SCHOOL1, SCHOOL2);
  assert.equal(two.result.code, 1);
  assert.deepEqual(
    two.document.problems.map((p) => p.serial),
    ["SHC00000004"],
  );
  const missing = await verifyJson("escuela9.example.org");
  assert.equal(missing.result.code, 1);
  assert.deepEqual(
    missing.document.problems.map((p) => [p.file, p.kind]),
    [[leases("by-school", "escuela9.example.org"), "missing-school-file"]],
  );
  const bad = await verify("../etc");
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /^inventario-leasegen: hostname "\.\.\/etc" /);
  const noConfig = await runBundle(["verify", "--config", join(demo.deployment.dir, "missing.conf")]);
  assert.equal(noConfig.code, 2);
  await rm(`${demo.deployment.keyPath}.public`);
  const noKey = await verify();
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /cannot read key file .*lease\.public/);
});

test("symbolic links are never followed out of leases_dir: a linked laptop file or directory is named", async () => {
  await firstRun();
  const outside = join(demo.deployment.dir, "outside");
  await writeFile(outside, await readFile(laptopPath(VECTOR_LAPTOP.serial)));
  await rm(laptopPath(VECTOR_LAPTOP.serial));
  await symlink(outside, laptopPath(VECTOR_LAPTOP.serial));
  const linkedFile = await verifyJson();
  assert.equal(linkedFile.result.code, 1);
  assert.deepEqual(
    linkedFile.document.problems.map((p) => [p.file, p.serial, p.what]),
    [[laptopPath(VECTOR_LAPTOP.serial), VECTOR_LAPTOP.serial, "a symbolic link: not followed"]],
  );
  await mkdir(join(demo.deployment.dir, "elsewhere"));
  await symlink(join(demo.deployment.dir, "elsewhere"), leases("by-laptop", "ZZ"));
  const linkedDir = await verifyJson();
  assert.ok(linkedDir.document.problems.some((p) => p.file === leases("by-laptop", "ZZ") && p.kind === "stray-file"));
});

test("verify works while a run holds the lock, and a missing leases_dir is a problem", async () => {
  await firstRun();
  const log = join(demo.deployment.stateDir, "leasegen.log");
  const logged = (await stat(log)).size;
  // A run of one slow school: it holds the lock and touches no other school's files.
  demo.server.dataset.schools.set("slow.example.org", { laptops: [], delayMs: 4000 });
  const busy = spawn(process.execPath, [BUNDLE, "--config", demo.deployment.configPath, "slow.example.org"], { stdio: "ignore" });
  const exited = new Promise((resolve) => busy.on("exit", resolve));
  try {
    // "run started" is logged once the lock is taken.
    for (let i = 0; i < 200 && (await stat(log)).size === logged; i += 1) await new Promise((r) => setTimeout(r, 25));
    const result = await verify();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^OK: every lease will be accepted$/m);
    assert.equal((await runBundle([], demo.deployment)).code, 1, "the run still held the lock");
  } finally {
    busy.kill("SIGKILL");
    await exited;
  }
  await rm(demo.deployment.leasesDir, { recursive: true });
  const empty = await verifyJson();
  assert.equal(empty.result.code, 1);
  assert.deepEqual(
    empty.document.problems.map((p) => [p.file, p.kind]),
    [[demo.deployment.leasesDir, "unreadable"]],
  );
});
