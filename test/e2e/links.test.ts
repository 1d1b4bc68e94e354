// Symbolic links and the one file writer (src/io/atomic-file.ts):
// a leases_dir or state_dir reached through a link (a directory on another disk, say) works
// from the first run; a link in a file's place is replaced by the file, never written through.
import assert from "node:assert/strict";
import { lstat, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { runBundle, useDemoDeployment } from "../support/harness.js";
import { checkCompletedRun, checkVisibleFiles, shown } from "./issue3-helpers.js";

const demo = useDemoDeployment();
const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";

test("leases_dir and state_dir reached through symbolic links: the first run writes every file, the next re-signs nothing", async () => {
  const { deployment } = demo;
  const disk = join(deployment.dir, "other-disk");
  await mkdir(join(disk, "leases"), { recursive: true });
  await mkdir(join(disk, "state"));
  await symlink(join(disk, "leases"), deployment.leasesDir);
  await symlink(join(disk, "state"), deployment.stateDir);
  const first = await runBundle([], deployment);
  assert.equal(first.code, 0, shown(first));
  const contents = await checkCompletedRun(join(disk, "leases"));
  assert.equal(contents.schools.size, 3);
  assert.ok(contents.laptops.size > 0);
  assert.ok((await lstat(deployment.leasesDir)).isSymbolicLink(), "the link itself is left in place");
  const second = await runBundle([], deployment);
  assert.equal(second.code, 0, shown(second));
  assert.deepEqual(await checkCompletedRun(join(disk, "leases")), contents);
});

test("a symbolic link in a laptop file's or a school file's place is replaced by the file, never written through", async () => {
  const { deployment } = demo;
  const first = await runBundle([], deployment);
  assert.equal(first.code, 0, shown(first));
  const before = await checkCompletedRun(deployment.leasesDir);
  const serial = [...(before.schools.get(SCHOOL1) as Map<string, string>).keys()][0] as string;
  const outside = join(deployment.dir, "outside");
  await writeFile(outside, "not a lease\n");
  const linkInPlaceOf = async (path: string): Promise<void> => {
    await rm(path);
    await symlink(outside, path);
  };

  const laptopFile = join(deployment.leasesDir, "by-laptop", serial.slice(-2), serial);
  await linkInPlaceOf(laptopFile);
  const forced = await runBundle(["--force"], deployment);
  assert.equal(forced.code, 0, shown(forced));
  assert.equal(await readFile(outside, "utf8"), "not a lease\n", "written through the link");
  assert.ok((await lstat(laptopFile)).isFile(), "the laptop file is a file again");
  assert.deepEqual([...(await checkCompletedRun(deployment.leasesDir)).laptops.keys()].sort(), [...before.laptops.keys()].sort());

  // A school file that is a link also stops that run's sweep (it was not a lease file when the
  // run began); the file is replaced all the same, and the next run completes.
  const schoolFile = join(deployment.leasesDir, "by-school", SCHOOL1);
  await linkInPlaceOf(schoolFile);
  await runBundle(["--force", SCHOOL1], deployment);
  assert.equal(await readFile(outside, "utf8"), "not a lease\n", "written through the link");
  assert.ok((await lstat(schoolFile)).isFile(), "the school file is a file again");
  const school = (await checkVisibleFiles(deployment.leasesDir)).schools.get(SCHOOL1);
  assert.deepEqual([...(school ?? []).keys()], [...(before.schools.get(SCHOOL1) ?? []).keys()], "the school's leases, re-signed");
  const next = await runBundle([], deployment);
  assert.equal(next.code, 0, shown(next));
  await checkCompletedRun(deployment.leasesDir);
});
