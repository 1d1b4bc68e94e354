// `export` through the bundle (issue 9 §1): the two stick layouts byte for byte, each lease
// found as the XO's firmware finds it and each manifest checked with sha1sum -c, and the errors.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFile, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readCanonicalSchoolFile } from "../../src/core/canonical-json.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { laptop } from "../support/datasets.js";
import { BUNDLE, publicKeyOf, readLog, readTree, runBundle, runCommand, useDemoDeployment, withTmpfs } from "../support/harness.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
const SCHOOL3 = "schoolserver.escuela3.caacupe.paraguayeduca.org";
const EXPIRY = /earliest expiry \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d{8}T\d{6}Z\)/;

const demo = useDemoDeployment();
const stick = (): string => join(demo.deployment.dir, "stick");
const schoolBytes = (hostname: string): Promise<Buffer> => readFile(join(demo.deployment.leasesDir, "by-school", hostname));

/** Signs the demo schools, and makes an empty "stick". */
async function signAndMount(): Promise<void> {
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  await mkdir(stick());
}

/**
 * A laptop's lease as the XO's activation code finds it in lease.sig: a file starting with
 * `[1,{"` is scanned for `"<SN>":"` and the bytes up to the next `"` are taken; any other file
 * is one bare lease.
 */
function xoFinds(leaseSig: Buffer, serial: string): string | undefined {
  const text = leaseSig.toString("latin1");
  if (!text.startsWith('[1,{"')) return text;
  const at = text.indexOf(`"${serial}":"`);
  if (at === -1) return undefined;
  const from = at + serial.length + 4;
  return text.slice(from, text.indexOf('"', from));
}

/** Every line of `lease` verifies with the deployment's key for this serial and one of the UUIDs. */
async function assertVerifies(lease: string | undefined, serial: string, uuids: string[]): Promise<void> {
  const key = await publicKeyOf(demo.deployment.keyPath);
  const lines = (lease ?? "").split(/(?<=\n)/);
  assert.ok(lease !== undefined && lines.length > 0, `${serial}: no lease found`);
  for (const line of lines) {
    const [, sn, , expiry, , , , sig] = line.trimEnd().split(" ");
    assert.equal(sn, serial);
    assert.ok(
      uuids.some((uuid) => verifyLeaseSignature(key, `${serial}:${uuid}:K:${expiry}`, sig as string)),
      `${serial}: a line does not verify`,
    );
  }
}

test("xo layout, one school: lease.sig is its by-school file byte for byte; the XO finds every laptop's lease", async () => {
  await signAndMount();
  const result = await runBundle(["export", "--to", stick(), SCHOOL1], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  assert.equal(result.stderr, "");
  assert.equal(result.stdout, `${SCHOOL1}: 4 laptops, ${EXPIRY.exec(result.stdout)?.[0]}, in ${join(stick(), "lease.sig")}\n`);
  assert.match(result.stdout, EXPIRY);
  const leaseSig = await readFile(join(stick(), "lease.sig"));
  assert.deepEqual(leaseSig, await schoolBytes(SCHOOL1));
  for (const serial of ["SHC00000001", "SHC00000002", "SHC00000007", "SHC12345678"]) {
    const found = xoFinds(leaseSig, serial);
    assert.equal(found, await readFile(join(demo.deployment.leasesDir, "by-laptop", serial.slice(-2), serial), "latin1"), serial);
  }
  await assertVerifies(xoFinds(leaseSig, "SHC00000007"), "SHC00000007", [laptop(7).uuid as string, laptop(8).uuid as string]);
  assert.equal(xoFinds(leaseSig, "SHC00000009"), undefined, "the stolen laptop has no lease");
  assert.deepEqual([...(await readTree(stick())).keys()], ["lease.sig"], "no temporary file left");
});

test("xo layout, several schools: one canonical file; a serial two schools list keeps both lines, sorted", async () => {
  // SHC00000001 moved to escuela2 while escuela1 still lists it.
  demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(laptop(1));
  await signAndMount();
  const result = await runBundle(["export", "--to", stick(), `${SCHOOL1},${SCHOOL2}`], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  assert.deepEqual(
    result.stdout.split("\n").map((line) => line.replace(EXPIRY, "E")),
    [`${SCHOOL1}: 4 laptops, E, in ${join(stick(), "lease.sig")}`, `${SCHOOL2}: 4 laptops, E, in ${join(stick(), "lease.sig")}`, ""],
  );
  const leaseSig = await readFile(join(stick(), "lease.sig"));
  const merged = readCanonicalSchoolFile(leaseSig.toString("latin1"));
  assert.deepEqual(
    [...merged.keys()],
    ["SHC00000001", "SHC00000002", "SHC00000003", "SHC00000004", "SHC00000005", "SHC00000007", "SHC12345678"],
  );
  const one = readCanonicalSchoolFile((await schoolBytes(SCHOOL1)).toString("latin1"));
  const two = readCanonicalSchoolFile((await schoolBytes(SCHOOL2)).toString("latin1"));
  const both = [one.get("SHC00000001"), two.get("SHC00000001")].sort().join("");
  assert.equal(xoFinds(leaseSig, "SHC00000001"), both);
  await assertVerifies(xoFinds(leaseSig, "SHC00000001"), "SHC00000001", [laptop(1).uuid as string]);
  for (const [serial, lease] of [...one, ...two]) if (serial !== "SHC00000001") assert.equal(xoFinds(leaseSig, serial), lease, serial);

  const all = await runBundle(["export", "--to", stick(), "--all"], demo.deployment);
  assert.equal(all.code, 0, shown(all));
  assert.equal(all.stdout.split("\n").length, 4, "one line per school");
  assert.match(all.stdout, new RegExp(`^${SCHOOL3}: 0 laptops, in `, "m"));
});

test("xs-activation layout: one directory per school server, leases.sig byte for byte, manifest checked by sha1sum -c", async () => {
  await signAndMount();
  await mkdir(join(stick(), "xs-activation", "otherschool"), { recursive: true });
  await writeFile(join(stick(), "xs-activation", "otherschool", "leases.sig"), "someone else's\n");
  const result = await runBundle(["export", "--to", stick(), "--layout", "xs-activation", "--all"], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  assert.match(
    result.stdout,
    new RegExp(`^${SCHOOL2}: 3 laptops, ${EXPIRY.source}, in ${join(stick(), "xs-activation", "escuela2")}/$`, "m"),
  );
  const tree = await readTree(stick());
  assert.deepEqual([...tree.keys()].sort(), [
    "xs-activation/escuela1/leases.sig",
    "xs-activation/escuela1/manifest.sha1",
    "xs-activation/escuela2/leases.sig",
    "xs-activation/escuela2/manifest.sha1",
    "xs-activation/escuela3/leases.sig",
    "xs-activation/escuela3/manifest.sha1",
    "xs-activation/otherschool/leases.sig",
  ]);
  assert.equal(tree.get("xs-activation/otherschool/leases.sig")?.toString(), "someone else's\n", "other schools' files left alone");
  for (const [name, hostname] of [
    ["escuela1", SCHOOL1],
    ["escuela2", SCHOOL2],
    ["escuela3", SCHOOL3],
  ] as const) {
    const dir = join(stick(), "xs-activation", name);
    assert.deepEqual(tree.get(`xs-activation/${name}/leases.sig`), await schoolBytes(hostname));
    const check = await runCommand("sha1sum", ["-c", "manifest.sha1"], { cwd: dir });
    assert.equal(check.code, 0, shown(check));
    assert.equal(check.stdout, "leases.sig: OK\n");
    // Exactly what `sha1sum *` prints there before the manifest exists.
    const before = join(demo.deployment.dir, `before-${name}`);
    await mkdir(before);
    await copyFile(join(dir, "leases.sig"), join(before, "leases.sig"));
    const sha1sum = await runCommand("/bin/sh", ["-c", "sha1sum *"], { cwd: before });
    assert.equal(tree.get(`xs-activation/${name}/manifest.sha1`)?.toString(), sha1sum.stdout);
  }
});

test("a school without a by-school file is named (exit 3) and the others are still exported", async () => {
  await signAndMount();
  const missing = "schoolserver.escuela7.caacupe.paraguayeduca.org";
  for (const layout of ["xo", "xs-activation"]) {
    const result = await runBundle(["export", "--to", stick(), "--layout", layout, `${missing},${SCHOOL2}`], demo.deployment);
    assert.equal(result.code, 3, shown(result));
    assert.deepEqual(stderrLines(result), [
      `inventario-leasegen: ${missing}: no by-school file (${join(demo.deployment.leasesDir, "by-school", missing)}); nothing exported for it`,
    ]);
    assert.equal(result.stdout.split("\n").length, 2, "one line: the exported school");
  }
  assert.deepEqual(await readFile(join(stick(), "lease.sig")), await schoolBytes(SCHOOL2));
  assert.deepEqual([...(await readTree(join(stick(), "xs-activation"))).keys()].sort(), ["escuela2/leases.sig", "escuela2/manifest.sha1"]);
});

test("a missing, non-directory or read-only DIR is exit 2 with one line; neither HOSTS nor --all (or both) is exit 2", async (t) => {
  await signAndMount();
  const nowhere = join(demo.deployment.dir, "not-mounted");
  const missing = await runBundle(["export", "--to", nowhere, SCHOOL1], demo.deployment);
  assert.equal(missing.code, 2, shown(missing));
  assert.deepEqual(stderrLines(missing), [`inventario-leasegen: cannot export to ${nowhere}: no such directory`]);
  await writeFile(nowhere, "a file\n");
  const file = await runBundle(["export", "--to", nowhere, SCHOOL1], demo.deployment);
  assert.equal(file.code, 2, shown(file));
  assert.deepEqual(stderrLines(file), [`inventario-leasegen: cannot export to ${nowhere}: not a directory`]);
  for (const args of [["--to", stick()], ["--to", stick(), "--all", SCHOOL1], [SCHOOL1]]) {
    const usage = await runBundle(["export", ...args], demo.deployment);
    assert.equal(usage.code, 2, shown(usage));
    assert.equal(stderrLines(usage).length > 0, true);
  }
  assert.deepEqual([...(await readTree(stick())).keys()], []);

  const readOnly = join(demo.deployment.dir, "read-only");
  await withTmpfs(t, readOnly, "ro,size=64k", async () => {
    const result = await runBundle(["export", "--to", readOnly, SCHOOL1], demo.deployment);
    assert.equal(result.code, 2, shown(result));
    assert.equal(stderrLines(result).length, 1, shown(result));
    assert.match(result.stderr, new RegExp(`cannot export to ${readOnly}: cannot be written .*EROFS`));
  });
});

test("xs-activation: two schools with the same <NAME>, or a hostname without a domain, are errors naming them", async () => {
  const twin = "xs.escuela1.otro-departamento.example.org";
  demo.server.dataset.schools.set(twin, { laptops: [laptop(20)] });
  demo.server.dataset.schools.set("schoolserver", { laptops: [laptop(21)] });
  await signAndMount();
  const result = await runBundle(["export", "--to", stick(), "--layout", "xs-activation", "--all"], demo.deployment);
  assert.equal(result.code, 3, shown(result));
  const errors = stderrLines(result);
  assert.equal(errors.length, 2, shown(result));
  assert.ok(
    errors.some((line) => line.includes(SCHOOL1) && line.includes(twin) && line.includes("xs-activation/escuela1/")),
    shown(result),
  );
  assert.ok(
    errors.some((line) => line.includes("schoolserver has no domain part")),
    shown(result),
  );
  assert.deepEqual(
    [...(await readTree(stick())).keys()].filter((path) => !/escuela[23]/.test(path)),
    [],
  );
  assert.equal(result.stdout.split("\n").length, 3, "escuela2 and escuela3 exported");
});

test("symbolic links under by-school/ and planted paths are never followed out of leases_dir", async () => {
  await signAndMount();
  const outside = join(demo.deployment.dir, "outside");
  await writeFile(outside, await schoolBytes(SCHOOL2));
  const schoolDir = join(demo.deployment.leasesDir, "by-school");
  await rm(join(schoolDir, SCHOOL2));
  await symlink(outside, join(schoolDir, SCHOOL2));
  await writeFile(join(demo.deployment.dir, "x"), await schoolBytes(SCHOOL1));
  for (const args of [[SCHOOL2], ["--all"], ["../x"], [".."], ["by-school/../../x"]]) {
    const result = await runBundle(["export", "--to", stick(), ...args], demo.deployment);
    assert.equal(result.code, 3, `${args.join(" ")}: ${shown(result)}`);
    if (args[0] === SCHOOL2 || args[0] === "--all")
      assert.match(
        result.stderr,
        new RegExp(`${SCHOOL2}: \\S+/by-school/${SCHOOL2} is a symbolic link: not followed; nothing exported for it`),
      );
    else assert.match(result.stderr, /school ".*" refused: hostname/);
  }
  const leaseSig = await readFile(join(stick(), "lease.sig"), "latin1").catch(() => "");
  assert.ok(!leaseSig.includes("SHC00000003"), "escuela2's leases were not read through the link");
});

test("a by-school file that is not canonical JSON of leases is refused, naming it", async () => {
  await signAndMount();
  const path = join(demo.deployment.leasesDir, "by-school", SCHOOL2);
  const leases = readCanonicalSchoolFile(await readFile(path, "latin1"));
  const reversed = [...leases].reverse().map(([serial, lease]) => `"${serial}":"${lease}"`);
  await writeFile(path, `[1,{${reversed.join(",")}}]`, "latin1");
  const result = await runBundle(["export", "--to", stick(), `${SCHOOL1},${SCHOOL2}`], demo.deployment);
  assert.equal(result.code, 3, shown(result));
  assert.deepEqual(stderrLines(result), [
    `inventario-leasegen: ${SCHOOL2}: ${path} is not a by-school lease file: not canonical JSON: keys out of byte order or repeated, or characters escaped that need not be; nothing exported for it`,
  ]);
  assert.deepEqual(await readFile(join(stick(), "lease.sig")), await schoolBytes(SCHOOL1));
  await writeFile(path, "<html>oops</html>");
  const html = await runBundle(["export", "--to", stick(), SCHOOL2], demo.deployment);
  assert.equal(html.code, 3, shown(html));
  assert.match(html.stderr, new RegExp(`${path} is not a by-school lease file: not a by-school lease file`));
});

test("export works while a run holds the lock, and takes no lock itself", async () => {
  await signAndMount();
  demo.server.dataset.schools.set("slow.example.org", { laptops: [], delayMs: 4000 });
  const busy = spawn(process.execPath, [BUNDLE, "--config", demo.deployment.configPath, "slow.example.org"], { stdio: "ignore" });
  try {
    const started = async (): Promise<number> => (await readLog(demo.deployment)).filter((line) => line["msg"] === "run started").length;
    for (let i = 0; i < 200 && (await started()) < 2; i += 1) await new Promise((r) => setTimeout(r, 25));
    const result = await runBundle(["export", "--to", stick(), SCHOOL1], demo.deployment);
    assert.equal(result.code, 0, shown(result));
    assert.deepEqual(await readFile(join(stick(), "lease.sig")), await schoolBytes(SCHOOL1));
    assert.equal((await runBundle([], demo.deployment)).code, 1, "the run still held the lock");
  } finally {
    busy.kill("SIGKILL");
  }
});

test("xs-activation: a school named by its IP address has no <NAME>: an error naming it (exit 3), the others exported", async () => {
  demo.server.dataset.schools.set("10.0.0.5", { laptops: [laptop(22)] });
  await signAndMount();
  const result = await runBundle(["export", "--to", stick(), "--layout", "xs-activation", "--all"], demo.deployment);
  assert.equal(result.code, 3, shown(result));
  assert.deepEqual(stderrLines(result), [
    "inventario-leasegen: 10.0.0.5 is an IP address, not a name whose domain names its xs-activation directory; nothing exported for it",
  ]);
  assert.deepEqual([...(await readTree(join(stick(), "xs-activation"))).keys()].map((path) => path.split("/")[0]).sort(), [
    "escuela1",
    "escuela1",
    "escuela2",
    "escuela2",
    "escuela3",
    "escuela3",
  ]);
  assert.equal(result.stdout.split("\n").length, 4, "the three others exported");
  const xo = await runBundle(["export", "--to", stick(), "10.0.0.5"], demo.deployment);
  assert.equal(xo.code, 0, `an XO's stick needs no <NAME>: ${shown(xo)}`);
});

test("HOST arguments: export, status and verify each take names space- or comma-separated, alike", async () => {
  await signAndMount();
  const leaseSig = join(stick(), "lease.sig");
  const exported: Buffer[] = [];
  for (const hosts of [[`${SCHOOL1},${SCHOOL2}`], [SCHOOL1, SCHOOL2], [`${SCHOOL1}, ${SCHOOL2}`], [`${SCHOOL1},`, SCHOOL2, SCHOOL1]]) {
    const result = await runBundle(["export", "--to", stick(), ...hosts], demo.deployment);
    assert.equal(result.code, 0, `${hosts.join(" ")}: ${shown(result)}`);
    assert.equal(result.stdout.split("\n").length, 3, `${hosts.join(" ")}: two schools, each once`);
    exported.push(await readFile(leaseSig));
  }
  for (const bytes of exported) assert.deepEqual(bytes, exported[0]);
  // What each shows of the schools: status, their names; verify, its counts (not when it checked).
  const shownOf = {
    status: (document: { schools: { hostname: string }[] }) => document.schools.map((school) => school.hostname),
    verify: (document: Record<string, unknown>) => ({ ...document, checkedAt: undefined }),
  };
  for (const [command, shownSchools] of Object.entries(shownOf)) {
    const schools = async (hosts: string[]): Promise<unknown> => {
      const result = await runBundle([command, "--json", ...hosts], demo.deployment);
      assert.equal(result.code, 0, `${command} ${hosts.join(" ")}: ${shown(result)}`);
      return (shownSchools as (document: unknown) => unknown)(JSON.parse(result.stdout));
    };
    const comma = await schools([`${SCHOOL1},${SCHOOL2}`]);
    assert.deepEqual(await schools([SCHOOL1, SCHOOL2]), comma);
    assert.deepEqual(await schools([`${SCHOOL1}, ${SCHOOL2}`]), comma);
    assert.notDeepEqual(await schools([SCHOOL1]), comma);
  }
  for (const command of [["export", "--to", stick()], ["status"], ["verify"]])
    for (const [hosts, why] of [
      [[""], 'no hostname in ""'],
      [[SCHOOL1, ","], 'no hostname in ","'],
      [[`${SCHOOL1},,${SCHOOL2}`], "empty hostname in"],
    ] as const) {
      const result = await runBundle([...command, ...hosts], demo.deployment);
      assert.equal(result.code, 2, `${command[0]} ${hosts.join(" ")}: ${shown(result)}`);
      assert.match(result.stderr, new RegExp(`^inventario-leasegen: ${why}`), `${command[0]} ${hosts.join(" ")}`);
    }
});
