// `export` on a stick someone else prepared (issue 15 §1, §2), run as root as the README says:
// no link under --to is followed (the layout directories, the files, their temporary files), a
// link where it must write fails that school only (exit 3), and --to itself may be a link.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { lstat, mkdir, readFile, readdir, realpath, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { BUNDLE, readTree, runBundle, runCommand, useDemoDeployment } from "../support/harness.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
const SCHOOL3 = "schoolserver.escuela3.caacupe.paraguayeduca.org";

const demo = useDemoDeployment();
const stick = (): string => join(demo.deployment.dir, "stick");
const victimDir = (): string => join(demo.deployment.dir, "victim");
const victimFile = (): string => join(demo.deployment.dir, "victim-file");
const VICTIM = "root's own file\n";
const schoolBytes = (hostname: string): Promise<Buffer> => readFile(join(demo.deployment.leasesDir, "by-school", hostname));

/** Signs the demo schools, makes an empty "stick" and the files a planted link points at. */
async function prepare(): Promise<void> {
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  await mkdir(stick());
  await mkdir(victimDir());
  await writeFile(victimFile(), VICTIM);
}

async function assertVictimsUntouched(): Promise<void> {
  assert.deepEqual(await readdir(victimDir()), [], "written into the directory a link points at");
  assert.equal(await readFile(victimFile(), "utf8"), VICTIM, "written through a link");
}

const xsExport = (): ReturnType<typeof runBundle> =>
  runBundle(["export", "--to", stick(), "--layout", "xs-activation", "--all"], demo.deployment);
const notFollowed = (hostname: string, path: string): string =>
  `inventario-leasegen: ${hostname}: ${path} is a symbolic link: not followed; nothing exported for it`;

test("a school's xs-activation directory that is a link: that school fails naming it (exit 3), the others are exported", async () => {
  await prepare();
  await mkdir(join(stick(), "xs-activation"));
  const planted = join(stick(), "xs-activation", "escuela1");
  await symlink(victimDir(), planted);
  const result = await xsExport();
  assert.equal(result.code, 3, shown(result));
  assert.deepEqual(stderrLines(result), [notFollowed(SCHOOL1, planted)]);
  await assertVictimsUntouched();
  assert.ok((await lstat(planted)).isSymbolicLink(), "the link is left as it was");
  const tree = await readTree(join(stick(), "xs-activation"));
  assert.deepEqual([...tree.keys()].sort(), [
    "escuela2/leases.sig",
    "escuela2/manifest.sha1",
    "escuela3/leases.sig",
    "escuela3/manifest.sha1",
  ]);
  assert.deepEqual(tree.get("escuela2/leases.sig"), await schoolBytes(SCHOOL2));
  assert.equal(result.stdout.split("\n").length, 3, "escuela2 and escuela3 exported");

  // A relative link that stays on the stick is not followed either.
  await mkdir(join(stick(), "elsewhere"));
  const relative = join(stick(), "xs-activation", "escuela3");
  await runCommand("rm", ["-r", relative]);
  await symlink("../elsewhere", relative);
  const again = await xsExport();
  assert.equal(again.code, 3, shown(again));
  assert.deepEqual(stderrLines(again), [notFollowed(SCHOOL1, planted), notFollowed(SCHOOL3, relative)]);
  assert.deepEqual(await readdir(join(stick(), "elsewhere")), []);
});

test("xs-activation itself a link: every school fails naming it, nothing is written through it", async () => {
  await prepare();
  const planted = join(stick(), "xs-activation");
  await symlink(victimDir(), planted);
  const result = await xsExport();
  assert.equal(result.code, 3, shown(result));
  assert.deepEqual(
    stderrLines(result),
    [SCHOOL1, SCHOOL2, SCHOOL3].map((hostname) => notFollowed(hostname, planted)),
  );
  assert.equal(result.stdout, "");
  await assertVictimsUntouched();

  // Not a directory at all: named the same way.
  await runCommand("rm", [planted]);
  await writeFile(planted, "a file\n");
  const file = await xsExport();
  assert.equal(file.code, 3, shown(file));
  assert.equal(stderrLines(file)[0], `inventario-leasegen: ${SCHOOL1}: ${planted} is not a directory; nothing exported for it`);
  assert.equal(await readFile(planted, "utf8"), "a file\n");
});

test("a link in a file's place (leases.sig, manifest.sha1, lease.sig): refused naming it, before anything of that school is written", async () => {
  await prepare();
  const escuela1 = join(stick(), "xs-activation", "escuela1");
  for (const name of ["leases.sig", "manifest.sha1"]) {
    await runCommand("rm", ["-rf", join(stick(), "xs-activation")]);
    await mkdir(escuela1, { recursive: true });
    await symlink(victimFile(), join(escuela1, name));
    const result = await xsExport();
    assert.equal(result.code, 3, shown(result));
    assert.deepEqual(stderrLines(result), [notFollowed(SCHOOL1, join(escuela1, name))]);
    assert.deepEqual(await readdir(escuela1), [name], "nothing else written for escuela1");
    assert.ok((await readTree(join(stick(), "xs-activation"))).has("escuela2/manifest.sha1"), "the others exported");
    await assertVictimsUntouched();
  }

  const leaseSig = join(stick(), "lease.sig");
  await symlink(victimFile(), leaseSig);
  const xo = await runBundle(["export", "--to", stick(), SCHOOL1], demo.deployment);
  assert.equal(xo.code, 3, shown(xo));
  assert.deepEqual(stderrLines(xo), [`inventario-leasegen: ${leaseSig} is a symbolic link: not followed; nothing exported`]);
  assert.equal(xo.stdout, "");
  await assertVictimsUntouched();
});

/**
 * write-file-atomic's temporary file for `target` in a process with this pid: `<target>.<N>`,
 * N the MurmurHash3 of its module's file name (the bundle), the pid, the thread id and a count
 * of its calls, all known to anyone who can list the processes.
 */
function writeFileAtomicTemporaryName(target: string, bundle: string, pid: number, call: number): string {
  const require = createRequire(__filename);
  const murmur = require("imurmurhash") as (key: string) => { hash(key: string): ReturnType<typeof murmur>; result(): number };
  return `${target}.${murmur(bundle).hash(String(pid)).hash("0").hash(String(call)).result()}`;
}

test("links planted at every temporary file name the next processes could use: none is written through", async () => {
  await prepare();
  const target = join(await realpath(stick()), "lease.sig");
  const bundle = await realpath(BUNDLE);
  // The next pids are about the one a process started now gets; plant links for the next 3000.
  const probe = await runCommand("sh", ["-c", "echo $$"]);
  const next = Number(probe.stdout.trim());
  for (let pid = next; pid < next + 3000; pid += 1) await symlink(victimFile(), writeFileAtomicTemporaryName(target, bundle, pid, 1));
  const result = await runBundle(["export", "--to", stick(), SCHOOL1], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  await assertVictimsUntouched();
  assert.ok((await lstat(target)).isFile(), "lease.sig is a file of its own");
  assert.deepEqual(await readFile(target), await schoolBytes(SCHOOL1));
  const made = (await readdir(stick())).filter((name) => !name.startsWith("lease.sig."));
  assert.deepEqual(made, ["lease.sig"], "no temporary file left");
});

test("--to itself a link (a mount point often is): resolved once, the files land in its target", async () => {
  await prepare();
  const mountPoint = join(demo.deployment.dir, "media-usb");
  await symlink(stick(), mountPoint);
  const result = await runBundle(["export", "--to", mountPoint, "--layout", "xs-activation", SCHOOL2], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  assert.equal(stderrLines(result).length, 0, shown(result));
  assert.deepEqual(await readFile(join(stick(), "xs-activation", "escuela2", "leases.sig")), await schoolBytes(SCHOOL2));
  const check = await runCommand("sha1sum", ["-c", "manifest.sha1"], { cwd: join(stick(), "xs-activation", "escuela2") });
  assert.equal(check.stdout, "leases.sig: OK\n");
});
