// Issue 3 §6 and §8 through the bundle: a private key others can read is warned about on every
// run; a public key that is not the private key's half stops the run (exit 4); an output
// directory that cannot be written (a path component that is a file, a full file system) fails
// the school with a clear error and loses nothing. Tests run as root, so chmod cannot make a
// directory unwritable: a file in the directory's place, and a small tmpfs, are used instead.
import assert from "node:assert/strict";
import { chmod, copyFile, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laptop } from "../support/datasets.js";
import { makeDeployment, readLog, readTree, runBundle, withTmpfs, type Deployment } from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario } from "../support/inventario-server.js";
import { makeKeyPair } from "../support/keys.js";
import { checkCompletedRun, schoolSnapshot, shown, stderrLines } from "./issue3-helpers.js";

const A = "schoolserver.a.example.org";
const B = "schoolserver.b.example.org";

describe("keys and disk trouble", () => {
  let server: TestInventario;
  let deployment: Deployment;

  before(async () => {
    const dataset = emptyDataset();
    dataset.schools.set(A, { laptops: [laptop(1), laptop(2), laptop(3)] });
    dataset.schools.set(B, { laptops: [laptop(11)] });
    server = await startInventario(dataset);
    deployment = await makeDeployment(server.url);
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  it("warns on every run, on stderr and in the log, when others can read the private key", async () => {
    await chmod(`${deployment.keyPath}.private`, 0o644);
    try {
      for (let i = 0; i < 2; i += 1) {
        const result = await runBundle([], deployment);
        assert.equal(result.code, 0, shown(result));
        assert.match(result.stderr, /lease\.private can be read by other users/);
      }
      const warnings = (await readLog(deployment)).filter((line) => /can be read by other users/.test(String(line["msg"])));
      assert.equal(warnings.length, 2);
    } finally {
      await chmod(`${deployment.keyPath}.private`, 0o600);
    }
    const quiet = await runBundle([], deployment);
    assert.equal(quiet.stderr, "", shown(quiet));
  });

  it("refuses a public key that is not the private key's half (exit 4), touching nothing", async () => {
    const other = await mkdtemp(join(tmpdir(), "leasegen-otherkey-"));
    const before = await readTree(deployment.leasesDir);
    await copyFile(`${deployment.keyPath}.public`, join(other, "saved.public"));
    try {
      const otherKey = await makeKeyPair(other);
      await copyFile(`${otherKey}.public`, `${deployment.keyPath}.public`);
      const result = await runBundle(["--force"], deployment);
      assert.equal(result.code, 4, shown(result));
      assert.equal(stderrLines(result).length, 1, shown(result));
      assert.match(result.stderr, /lease\.public is not the public half of .*lease\.private/);
      assert.deepEqual(await readTree(deployment.leasesDir), before);
    } finally {
      await copyFile(join(other, "saved.public"), `${deployment.keyPath}.public`);
      await rm(other, { recursive: true, force: true });
    }
  });

  it("a laptop bucket that cannot be created fails that school alone and loses nothing", async () => {
    const before = await schoolSnapshot(deployment, A);
    const newcomer = laptop(99);
    await writeFile(join(deployment.leasesDir, "by-laptop", newcomer.serial.slice(-2)), "in the way\n");
    server.dataset.schools.get(A)?.laptops.push(newcomer);
    server.dataset.schools.get(B)?.laptops.push(laptop(12));
    try {
      const result = await runBundle([], deployment);
      assert.equal(result.code, 3, shown(result));
      const lines = stderrLines(result);
      assert.equal(lines.length, 1, shown(result));
      assert.match(lines[0] as string, new RegExp(`${A}: cannot write its files`));
      assert.deepEqual(await schoolSnapshot(deployment, A), before);
      assert.ok((await readTree(deployment.leasesDir)).has(join("by-school", B)));
    } finally {
      await rm(join(deployment.leasesDir, "by-laptop", newcomer.serial.slice(-2)));
    }
    const result = await runBundle([], deployment);
    assert.equal(result.code, 0, shown(result));
    assert.ok((await checkCompletedRun(deployment.leasesDir)).schools.get(A)?.has(newcomer.serial));
  });

  it("a file in place of by-school/ fails the schools and loses no lease file", async () => {
    const schoolDir = join(deployment.leasesDir, "by-school");
    const before = await readTree(deployment.leasesDir);
    await rename(schoolDir, `${schoolDir}.saved`);
    await writeFile(schoolDir, "in the way\n");
    try {
      const result = await runBundle(["--force"], deployment);
      assert.equal(result.code, 3, shown(result));
      assert.match(result.stderr, new RegExp(`${A}: cannot write its files`));
      assert.match(result.stderr, new RegExp(`${B}: cannot write its files`));
      const after = await readTree(deployment.leasesDir);
      for (const path of before.keys()) {
        if (path.startsWith("by-laptop/")) assert.ok(after.get(path)?.length, `${path} was lost`);
      }
    } finally {
      await rm(schoolDir);
      await rename(`${schoolDir}.saved`, schoolDir);
    }
    const result = await runBundle([], deployment);
    assert.equal(result.code, 0, shown(result));
    await checkCompletedRun(deployment.leasesDir);
  });

  it("a full file system fails the school, keeps its files, and the next run recovers", async (t) => {
    const mountPoint = join(deployment.dir, "small");
    // mode=0755: a new tmpfs is 1777, where a run would not make its leases_dir (another account could first).
    await withTmpfs(t, mountPoint, "size=512k,mode=0755", async () => {
      try {
        const leasesDir = join(mountPoint, "leases");
        await deployment.writeConfig({ leases_dir: leasesDir });
        assert.equal((await runBundle(["--force"], deployment)).code, 0);
        const snapshot = { ...deployment, leasesDir } as Deployment;
        const before = await schoolSnapshot(snapshot, A);
        // Fill what is left.
        let filled = 0;
        try {
          for (;;) await writeFile(join(mountPoint, `filler-${filled++}`), Buffer.alloc(16 * 1024));
        } catch {
          // ENOSPC: full
        }
        server.dataset.schools.get(A)?.laptops.push(laptop(100));
        const result = await runBundle([], deployment);
        assert.equal(result.code, 3, shown(result));
        assert.match(result.stderr, new RegExp(`${A}: cannot write its files.*(ENOSPC|no space)`, "i"));
        assert.deepEqual(await schoolSnapshot(snapshot, A), before);
        for (let i = 0; i < filled; i += 1) await rm(join(mountPoint, `filler-${i}`), { force: true });
        const recovered = await runBundle([], deployment);
        assert.equal(recovered.code, 0, shown(recovered));
        assert.ok((await checkCompletedRun(leasesDir)).schools.get(A)?.has(laptop(100).serial));
      } finally {
        await deployment.writeConfig();
      }
    });
  });
});
