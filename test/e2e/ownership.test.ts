// Issue 16 §1, §2 and §10 through the bundle: what a run may delete under leases_dir, and what
// status --check watches. A school whose name has the shape of write-file-atomic's temporary
// files (`<school>.<digits>`) is a school, for the sweep and for verify; a school that moved to
// another configuration on the same leases_dir keeps the files its new owner wrote; the check
// counts the schools of its own configuration and is CRITICAL when a listed one has no file.
import assert from "node:assert/strict";
import { readFile, rename, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { laptop } from "../support/datasets.js";
import { makeDeployment, readLog, readTree, runBundle, useDemoDeployment, type Deployment } from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario, type TestLaptop } from "../support/inventario-server.js";
import { check, expiryIn } from "../support/status-helpers.js";
import { checkCompletedRun, schoolSnapshot, shown } from "./issue3-helpers.js";

async function run(deployment: Deployment, args: string[] = [], expected = 0): Promise<void> {
  const result = await runBundle(args, deployment);
  assert.equal(result.code, expected, shown(result));
}

function datasetOf(schools: Record<string, TestLaptop[]>): ReturnType<typeof emptyDataset> {
  const dataset = emptyDataset();
  for (const [hostname, laptops] of Object.entries(schools)) dataset.schools.set(hostname, { laptops });
  return dataset;
}

interface VerifyDocument {
  readonly ok: boolean;
  readonly problems: { file: string; serial: string | null; kind: string }[];
  readonly notices?: { file: string; serial: string | null; kind: string }[];
}

async function verifyJson(deployment: Deployment): Promise<{ code: number | null; document: VerifyDocument }> {
  const result = await runBundle(["verify", "--json"], deployment);
  assert.equal(result.stderr, "", shown(result));
  return { code: result.code, document: JSON.parse(result.stdout) as VerifyDocument };
}

/** Two configurations, each with its own inventario and state_dir, writing to one leases_dir. */
function useTwoConfigurations(
  schoolsOfA: Record<string, TestLaptop[]>,
  schoolsOfB: Record<string, TestLaptop[]>,
): { a: Deployment; b: Deployment; serverA: TestInventario; serverB: TestInventario } {
  const t = {} as { a: Deployment; b: Deployment; serverA: TestInventario; serverB: TestInventario };
  beforeEach(async () => {
    t.serverA = await startInventario(datasetOf(schoolsOfA));
    t.serverB = await startInventario(datasetOf(schoolsOfB));
    t.a = await makeDeployment(t.serverA.url);
    t.b = await makeDeployment(t.serverB.url);
    await t.b.writeConfig({ leases_dir: t.a.leasesDir });
  });
  afterEach(async () => {
    await Promise.all([t.serverA.close(), t.serverB.close()]);
    await Promise.all([t.a.remove(), t.b.remove()]);
  });
  return t;
}

/** A school's files (school file, laptop files, checksum) with the leases read from `leasesDir`. */
function snapshotIn(deployment: Deployment, leasesDir: string, hostname: string): Promise<Map<string, Buffer>> {
  return schoolSnapshot({ ...deployment, leasesDir }, hostname);
}

describe("a school named like a temporary file (<school>.<digits>)", () => {
  describe("owned by another configuration on the same leases_dir", () => {
    const t = useTwoConfigurations({ xs: [laptop(1)], "a.example": [laptop(2)] }, { "xs.98765": [laptop(11), laptop(12)] });

    it("is never deleted by the configuration that owns its namesake, and verify calls it a school", async () => {
      await run(t.a);
      await run(t.b);
      const before = await snapshotIn(t.b, t.a.leasesDir, "xs.98765");
      await run(t.a, ["--force"]);
      await run(t.a, ["--force", "xs"]);
      assert.deepEqual(await snapshotIn(t.b, t.a.leasesDir, "xs.98765"), before);
      const contents = await checkCompletedRun(t.a.leasesDir);
      assert.deepEqual([...contents.schools.keys()].sort(), ["a.example", "xs", "xs.98765"]);
      for (const deployment of [t.a, t.b]) {
        const { code, document } = await verifyJson(deployment);
        assert.equal(code, 0, JSON.stringify(document));
        assert.deepEqual(document.problems, []);
      }
    });
  });

  describe("in one configuration", () => {
    const demo = useDemoDeployment(() =>
      datasetOf({ escuela: [laptop(1)], "escuela.1234567": [laptop(2), laptop(3)], other: [laptop(4)] }),
    );

    it("survives a run after its checksum file was deleted (the README's way to re-sign it), and verify passes", async () => {
      const { deployment } = demo;
      await run(deployment);
      const first = await verifyJson(deployment);
      assert.equal(first.code, 0, JSON.stringify(first.document));
      assert.deepEqual(first.document.problems, []);
      const before = await snapshotIn(deployment, deployment.leasesDir, "escuela.1234567");
      before.delete("escuela.1234567.checksum");
      await rm(join(deployment.stateDir, "escuela.1234567.checksum"));
      await run(deployment, ["--force", "other"]);
      const after = await snapshotIn(deployment, deployment.leasesDir, "escuela.1234567");
      after.delete("escuela.1234567.checksum");
      assert.deepEqual(after, before, "its school file and laptop files are untouched");
      await checkCompletedRun(deployment.leasesDir);
      assert.equal((await verifyJson(deployment)).code, 0);
      await run(deployment);
      const regenerated = (await readLog(deployment)).filter((line) => line["hostname"] === "escuela.1234567").at(-1);
      assert.equal(regenerated?.["reason"], "no state", "the next run re-signs it, as deleting the checksum asks");
      await checkCompletedRun(deployment.leasesDir);
    });

    it("leftovers of write-file-atomic beside their school are still swept by a run over every school, and named by verify", async () => {
      const { deployment } = demo;
      await run(deployment);
      const leases = (...parts: string[]): string => join(deployment.leasesDir, ...parts);
      await writeFile(leases("by-school", "escuela.55555"), '[1,{"SHC0000');
      await writeFile(leases("by-laptop", "01", "SHC00000001.3735928559"), "act01: SHC");
      await writeFile(leases("stolen.list.1234567"), "");
      await writeFile(join(deployment.stateDir, "escuela.checksum.987654"), "");
      const named = await verifyJson(deployment);
      const kinds = [...named.document.problems, ...(named.document.notices ?? [])]
        .map((p) => [p.file.slice(deployment.leasesDir.length + 1), p.kind])
        .sort();
      assert.deepEqual(kinds, [
        ["by-laptop/01/SHC00000001.3735928559", "temporary-file"],
        ["by-school/escuela.55555", "temporary-file"],
        ["stolen.list.1234567", "temporary-file"],
      ]);
      // A run limited to some schools has no school list: it takes no school-shaped name for a temporary file.
      await run(deployment, ["--force", "other"]);
      assert.ok((await readTree(deployment.leasesDir)).has("by-school/escuela.55555"));
      await run(deployment, ["--force"]);
      await checkCompletedRun(deployment.leasesDir);
      assert.equal((await readTree(deployment.stateDir)).has("escuela.checksum.987654"), false);
      assert.ok((await readTree(deployment.leasesDir)).has("by-school/escuela.1234567"));
    });
  });
});

describe("a school that moved to another configuration on the same leases_dir", () => {
  const MOVED = "moved.example";
  const t = useTwoConfigurations({ [MOVED]: [laptop(1), laptop(2)], "a.example": [laptop(3)] }, { "b.example": [laptop(11)] });

  async function move(): Promise<Map<string, Buffer>> {
    await run(t.a);
    await run(t.b);
    const school = t.serverA.dataset.schools.get(MOVED);
    t.serverA.dataset.schools.delete(MOVED);
    t.serverB.dataset.schools.set(MOVED, school as NonNullable<typeof school>);
    await run(t.b);
    return snapshotIn(t.b, t.a.leasesDir, MOVED);
  }

  it("keeps the files its new owner wrote; the former owner drops its own state for it and says so", async () => {
    const signedByB = await move();
    const recordOfA = join(t.a.stateDir, "signed", `${MOVED}.json`);
    assert.ok((await readTree(t.a.stateDir)).has(`signed/${MOVED}.json`), recordOfA);
    await run(t.a);
    assert.deepEqual(await snapshotIn(t.b, t.a.leasesDir, MOVED), signedByB, "B's files are untouched");
    const stateOfA = await readTree(t.a.stateDir);
    assert.equal(stateOfA.has(`${MOVED}.checksum`), false);
    assert.equal(stateOfA.has(`signed/${MOVED}.json`), false);
    const logged = (await readLog(t.a)).filter((line) => line["hostname"] === MOVED).at(-1);
    assert.equal(logged?.["action"], "left");
    assert.match(String(logged?.["msg"]), /no longer listed by inventario.*changed since this state_dir wrote them.*left in place/);
    const record = JSON.parse(await readFile(join(t.a.stateDir, "run-record.json"), "utf8")) as { lastRun: { removedSchools: number } };
    assert.equal(record.lastRun.removedSchools, 0, "not reported as removed");
    await run(t.a, ["--force"]);
    assert.deepEqual(await snapshotIn(t.b, t.a.leasesDir, MOVED), signedByB);
    await checkCompletedRun(t.a.leasesDir);
  });

  it("the same when the former owner's state is the Ruby program's (a checksum, no signed record)", async () => {
    await run(t.a);
    await rm(join(t.a.stateDir, "signed"), { recursive: true });
    const signedByB = await move();
    await run(t.a);
    assert.deepEqual(await snapshotIn(t.b, t.a.leasesDir, MOVED), signedByB);
    assert.equal((await readTree(t.a.stateDir)).has(`${MOVED}.checksum`), false);
  });

  it("a school that left inventario with its files as this state_dir wrote them is removed, also after a revocation rewrote its file", async () => {
    await run(t.a);
    // A failing school still has its stolen laptop revoked from its file by the sweep.
    t.serverA.dataset.schools.set(MOVED, { laptops: [laptop(1), laptop(2)], raw: { status: 500, body: "oops" } });
    t.serverA.dataset.stolen = [{ serial: laptop(2).serial, uuid: null }];
    await run(t.a, [], 3);
    const revoked = await readFile(join(t.a.leasesDir, "by-school", MOVED), "latin1");
    assert.equal(revoked.includes(laptop(2).serial), false, "revoked from the failing school's file");
    t.serverA.dataset.schools.delete(MOVED);
    await run(t.a);
    const tree = await readTree(t.a.leasesDir);
    assert.equal(tree.has(`by-school/${MOVED}`), false, "removed");
    assert.equal(tree.has(`by-laptop/01/${laptop(1).serial}`), false);
    const removed = (await readLog(t.a)).filter((line) => line["hostname"] === MOVED).at(-1);
    assert.equal(removed?.["action"], "removed");
  });

  it("and so is one whose state is the Ruby program's", async () => {
    await run(t.a);
    await rm(join(t.a.stateDir, "signed"), { recursive: true });
    // The Ruby program wrote its checksum file after the school file (this program dates it back
    // to when the school's oldest lease was signed).
    const now = new Date();
    await utimes(join(t.a.stateDir, `${MOVED}.checksum`), now, now);
    t.serverA.dataset.schools.delete(MOVED);
    await run(t.a);
    assert.equal((await readTree(t.a.leasesDir)).has(`by-school/${MOVED}`), false);
  });
});

describe("status --check watches the schools of this configuration", () => {
  const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
  const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";

  describe("one configuration", () => {
    const demo = useDemoDeployment();

    it("is CRITICAL, naming the school, when a school listed at the last run has no school file", async () => {
      const { deployment } = demo;
      await run(deployment);
      assert.equal((await check(deployment)).code, 0);
      await rm(join(deployment.leasesDir, "by-school", SCHOOL2));
      const one = await check(deployment);
      assert.equal(one.code, 2, one.stdout);
      assert.match(
        one.stdout,
        new RegExp(`^LEASEGEN CRITICAL - 1 school listed at the last run without a school file .*: ${SCHOOL2} \\| `),
      );
      // leases_dir moved: every school is named (the first three, then a count).
      await rename(deployment.leasesDir, `${deployment.leasesDir}.moved`);
      const all = await check(deployment);
      assert.equal(all.code, 2, all.stdout);
      assert.match(
        all.stdout,
        /^LEASEGEN CRITICAL - 3 schools listed at the last run without a school file .*: schoolserver\.escuela1.*, schoolserver\.escuela3/,
      );
      await rename(`${deployment.leasesDir}.moved`, deployment.leasesDir);
      await run(deployment);
      assert.equal((await check(deployment)).code, 0, "the next run writes it again");
    });
  });

  describe("two configurations on one leases_dir", () => {
    const t = useTwoConfigurations({ [SCHOOL1]: [laptop(1), laptop(2)] }, { "b.example": [laptop(11)] });

    it("counts only its own schools: another configuration's leases neither count nor alert", async () => {
      t.serverB.dataset.schools.get("b.example")!.expiry = expiryIn(2);
      await run(t.a);
      await run(t.b);
      const a = await check(t.a);
      assert.equal(a.code, 0, a.stdout);
      assert.match(
        a.stdout,
        new RegExp(
          `^LEASEGEN OK - 1 schools, 2 laptops; earliest expiry in 2\\d\\.\\d days \\(${SCHOOL1}\\);.* schools=1;;;0 laptops=2;;;0 `,
        ),
      );
      const b = await check(t.b);
      assert.equal(b.code, 2, b.stdout);
      assert.match(
        b.stdout,
        /^LEASEGEN CRITICAL - 1 school with leases expiring within 3 days: b\.example .* schools=1;;;0 laptops=1;;;0 /,
      );
    });
  });
});
