// Issue 3 §3 through the bundle: a school that loses more than max_shrink_percent (default 50)
// of its laptops at once is held, files untouched, until --force (for it or for all). Issue 16
// §5: the guard holds removals only: the laptops a held school adds are signed and added, once.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { laptop } from "../support/datasets.js";
import { makeDeployment, readLog, runBundle, type Deployment } from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario, type TestLaptop } from "../support/inventario-server.js";
import { checkCompletedRun, schoolSnapshot, shown, stderrLines } from "./issue3-helpers.js";

const S = "schoolserver.shrinking.example.org";
const T = "schoolserver.steady.example.org";
const ten = (): TestLaptop[] => Array.from({ length: 10 }, (_, i) => laptop(i + 1));

describe("shrink guard", () => {
  let server: TestInventario;
  let deployment: Deployment;
  let extra = 100;

  before(async () => {
    server = await startInventario(emptyDataset());
  });
  after(async () => {
    await server.close();
    await deployment?.remove();
  });
  beforeEach(async () => {
    await deployment?.remove();
    server.dataset.schools.clear();
    server.dataset.stolen = [];
    server.dataset.schools.set(S, { laptops: ten() });
    server.dataset.schools.set(T, { laptops: [laptop(50)] });
    deployment = await makeDeployment(server.url);
    const first = await runBundle([], deployment);
    assert.equal(first.code, 0, shown(first));
  });

  /** S shrinks to `left` laptops while T changes too; returns the run. */
  const shrinkTo = async (left: number, args: string[] = []): Promise<Awaited<ReturnType<typeof runBundle>>> => {
    (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = ten().slice(0, left);
    extra += 1;
    server.dataset.schools.get(T)?.laptops.push(laptop(extra));
    return runBundle(args, deployment);
  };

  it("holds a school losing more than half of its laptops: files untouched, exit 3, both counts named", async () => {
    const before = await schoolSnapshot(deployment, S);
    const result = await shrinkTo(4);
    assert.equal(result.code, 3, shown(result));
    const lines = stderrLines(result);
    assert.equal(lines.length, 1, shown(result));
    assert.match(lines[0] as string, new RegExp(`${S}: held, 6 of its 10 laptops would be removed .* no laptop was added.*--force ${S}`));
    assert.deepEqual(await schoolSnapshot(deployment, S), before);
    const contents = await checkCompletedRun(deployment.leasesDir);
    assert.ok(contents.schools.get(T)?.has(laptop(extra).serial), "the other school was not done");
    // Held again on the next run: nothing was recorded as done.
    const again = await runBundle([], deployment);
    assert.equal(again.code, 3, shown(again));
    assert.deepEqual(await schoolSnapshot(deployment, S), before);
  });

  it("holds an empty list (the data accident it is there for)", async () => {
    const before = await schoolSnapshot(deployment, S);
    const result = await shrinkTo(0);
    assert.equal(result.code, 3, shown(result));
    assert.match(result.stderr, /10 of its 10 laptops would be removed/);
    assert.deepEqual(await schoolSnapshot(deployment, S), before);
  });

  it("lets exactly half through (the limit is 'more than')", async () => {
    const result = await shrinkTo(5);
    assert.equal(result.code, 0, shown(result));
    assert.equal((await checkCompletedRun(deployment.leasesDir)).schools.get(S)?.size, 5);
  });

  it("applies the shrink with --force for that hostname", async () => {
    assert.equal((await shrinkTo(2)).code, 3);
    const result = await runBundle(["--force", S], deployment);
    assert.equal(result.code, 0, shown(result));
    const contents = await checkCompletedRun(deployment.leasesDir);
    assert.deepEqual([...(contents.schools.get(S)?.keys() ?? [])], [laptop(1).serial, laptop(2).serial]);
    assert.equal(contents.laptops.has(laptop(3).serial), false);
  });

  it("applies the shrink with a global --force", async () => {
    const result = await shrinkTo(1, ["--force"]);
    assert.equal(result.code, 0, shown(result));
    assert.equal((await checkCompletedRun(deployment.leasesDir)).schools.get(S)?.size, 1);
  });

  it("follows max_shrink_percent: 100 disables the guard, 20 holds a loss of 30%", async () => {
    await deployment.writeConfig({ max_shrink_percent: "20" });
    const held = await shrinkTo(7);
    assert.equal(held.code, 3, shown(held));
    assert.match(held.stderr, /3 of its 10 laptops would be removed \(more than max_shrink_percent = 20%\)/);
    await deployment.writeConfig({ max_shrink_percent: "100" });
    const result = await shrinkTo(0);
    assert.equal(result.code, 0, shown(result));
    assert.equal((await checkCompletedRun(deployment.leasesDir)).schools.get(S)?.size, 0);
  });

  it("does not count stolen laptops as lost: revocation is never held", async () => {
    server.dataset.stolen = ten()
      .slice(0, 8)
      .map((l) => ({ serial: l.serial, uuid: l.uuid }));
    const result = await runBundle([], deployment);
    assert.equal(result.code, 0, shown(result));
    const contents = await checkCompletedRun(deployment.leasesDir);
    assert.deepEqual([...(contents.schools.get(S)?.keys() ?? [])], [laptop(9).serial, laptop(10).serial]);
  });

  describe("a full swap: the removals are held, the added laptops signed", () => {
    const fresh = (): TestLaptop[] => Array.from({ length: 12 }, (_, i) => laptop(i + 201));
    const schoolFile = async (): Promise<Map<string, string>> =>
      readSchoolFile(await readFile(join(deployment.leasesDir, "by-school", S), "latin1"));

    it("keeps the old leases byte for byte, adds the new laptops once, and names both counts", async () => {
      const before = await schoolFile();
      const checksum = await readFile(join(deployment.stateDir, `${S}.checksum`), "utf8");
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = fresh();
      const held = await runBundle([], deployment);
      assert.equal(held.code, 3, shown(held));
      assert.deepEqual(stderrLines(held), [
        `inventario-leasegen: ${S}: held, 10 of its 10 laptops would be removed (more than max_shrink_percent = 50%) and the 12 added were signed; run with --force ${S} to remove them`,
      ]);
      const after = await schoolFile();
      assert.equal(after.size, 22);
      for (const [serial, lease] of before) assert.equal(after.get(serial), lease, `${serial}: not kept byte for byte`);
      const contents = await checkCompletedRun(deployment.leasesDir);
      for (const added of fresh()) assert.ok(contents.laptops.has(added.serial), `${added.serial} has no lease`);
      // Its checksum is not the new list's: the removals stay pending.
      assert.equal(await readFile(join(deployment.stateDir, `${S}.checksum`), "utf8"), checksum);
      const summary = (await readLog(deployment)).at(-1);
      assert.equal(summary?.["leasesSigned"], 12);

      // The next run signs nothing again and loses nothing: still held, the same files.
      const snapshot = await schoolSnapshot(deployment, S);
      const again = await runBundle([], deployment);
      assert.equal(again.code, 3, shown(again));
      assert.match(again.stderr, /held, 10 of its 10 laptops would be removed .* and no laptop was added;/);
      assert.deepEqual(await schoolSnapshot(deployment, S), snapshot);
      assert.equal((await readLog(deployment)).at(-1)?.["leasesSigned"], 0);

      // Revocation still applies to a held school: an old laptop and an added one go stolen.
      server.dataset.stolen = [laptop(1), laptop(201)].map((l) => ({ serial: l.serial, uuid: l.uuid }));
      const revoked = await runBundle([], deployment);
      assert.equal(revoked.code, 3, shown(revoked));
      const afterRevoking = await checkCompletedRun(deployment.leasesDir);
      for (const stolen of [laptop(1), laptop(201)]) {
        assert.equal(afterRevoking.schools.get(S)?.has(stolen.serial), false, `${stolen.serial} still in the school file`);
        assert.equal(afterRevoking.laptops.has(stolen.serial), false, `${stolen.serial} still has a laptop file`);
      }
      assert.equal(afterRevoking.schools.get(S)?.size, 20);

      // --force applies the removals.
      const forced = await runBundle(["--force", S], deployment);
      assert.equal(forced.code, 0, shown(forced));
      const done = await checkCompletedRun(deployment.leasesDir);
      assert.deepEqual(
        [...(done.schools.get(S)?.keys() ?? [])],
        fresh()
          .slice(1)
          .map((l) => l.serial),
      );
    });

    it("a run killed once it noted the added laptops, before its school file: the next adds them again, still held", async () => {
      const before = await schoolSnapshot(deployment, S);
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = fresh();
      assert.equal((await runBundle([], deployment)).code, 3);
      // The school's files as they were, its signed record (heldAdded) as the run wrote it first.
      for (const [path, bytes] of before)
        await writeFile(path.endsWith(".checksum") ? join(deployment.stateDir, path) : join(deployment.leasesDir, path), bytes);
      const again = await runBundle([], deployment);
      assert.equal(again.code, 3, shown(again));
      assert.match(again.stderr, /10 of its 10 laptops would be removed .* and the 12 added were signed/);
      assert.equal((await checkCompletedRun(deployment.leasesDir)).schools.get(S)?.size, 22);
    });

    it("ends when the list comes back: the school is signed as listed, old and added laptops", async () => {
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = fresh();
      assert.equal((await runBundle([], deployment)).code, 3);
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = [...ten(), ...fresh()];
      const back = await runBundle([], deployment);
      assert.equal(back.code, 0, shown(back));
      assert.equal((await checkCompletedRun(deployment.leasesDir)).schools.get(S)?.size, 22);
      assert.equal((await runBundle([], deployment)).code, 0, "and it stays so");
    });

    it("ends when inventario goes back to the old list: the laptops added while held go, without a new hold", async () => {
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = fresh();
      assert.equal((await runBundle([], deployment)).code, 3);
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = ten();
      const back = await runBundle([], deployment);
      assert.equal(back.code, 0, shown(back));
      const contents = await checkCompletedRun(deployment.leasesDir);
      assert.deepEqual(
        [...(contents.schools.get(S)?.keys() ?? [])],
        ten().map((l) => l.serial),
      );
      for (const added of fresh()) assert.equal(contents.laptops.has(added.serial), false, added.serial);
    });

    it("a dry run says what it would add, and writes nothing", async () => {
      (server.dataset.schools.get(S) as { laptops: TestLaptop[] }).laptops = fresh();
      const before = await schoolSnapshot(deployment, S);
      const dry = await runBundle(["--dry-run"], deployment);
      assert.equal(dry.code, 3, shown(dry));
      assert.match(dry.stdout, /held, 10 of its 10 laptops would be removed .* and the 12 added would be signed/);
      assert.deepEqual(await schoolSnapshot(deployment, S), before);
    });
  });
});
