// Issue 3 §3 through the bundle: a school that loses more than max_shrink_percent (default 50)
// of its laptops at once is held, files untouched, until --force (for it or for all).
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { laptop } from "../support/datasets.js";
import { makeDeployment, runBundle, type Deployment } from "../support/harness.js";
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
    assert.match(lines[0] as string, new RegExp(`${S}.*\\b10\\b.*\\b4\\b.*--force ${S}`));
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
    assert.match(result.stderr, /10 to 0/);
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
    assert.match(held.stderr, /10 to 7.*max_shrink_percent = 20%/);
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
});
