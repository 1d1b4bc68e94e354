// Issue 11 through the bundle: a serial that two schools list, hostnames as inventario sends
// them, two configurations sharing one leases_dir, a clock that was ahead, and a stolen list
// that fails closed.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { leaseLines, signedMessage } from "../../src/core/lease.js";
import type { Expiry, Laptop } from "../../src/core/domain.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { laptop } from "../support/datasets.js";
import {
  leaseFiles,
  BUNDLE,
  makeDeployment,
  publicKeyOf,
  readLog,
  readTree,
  runBundle,
  useDemoDeployment,
  type Deployment,
} from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario, type TestLaptop } from "../support/inventario-server.js";
import { checkCompletedRun, schoolSnapshot, shown, stderrLines } from "./issue3-helpers.js";

const A = "schoolserver.a.example.org";
const B = "schoolserver.b.example.org";

/** A fresh test inventario (with these schools) and deployment per test. */
function useDeployment(schools: Record<string, TestLaptop[]>): { readonly server: TestInventario; readonly deployment: Deployment } {
  return useDemoDeployment(() => {
    const dataset = emptyDataset();
    for (const [hostname, laptops] of Object.entries(schools)) dataset.schools.set(hostname, { laptops });
    return dataset;
  });
}

async function run(deployment: Deployment, args: string[] = [], expected = 0): Promise<void> {
  const result = await runBundle(args, deployment);
  assert.equal(result.code, expected, shown(result));
}

/** Whether `line` verifies for this laptop as the firmware checks it. */
async function verifiesFor(deployment: Deployment, line: string, owner: TestLaptop): Promise<boolean> {
  const expiry = line.split(" ")[3] as Expiry;
  const message = signedMessage(owner as Laptop, expiry);
  return verifyLeaseSignature(await publicKeyOf(deployment.keyPath), message, line.trimEnd().split(" ")[7] as string);
}

describe("a serial that two schools list", () => {
  const shared = { serial: "SHC00000001", uuid: "AAAAAAAA-0000-4000-8000-000000000001" };
  const other = { serial: "SHC00000001", uuid: "BBBBBBBB-0000-4000-8000-000000000001" };
  const t = useDeployment({ [A]: [shared, laptop(2)], [B]: [other, laptop(3)] });
  const laptopFile = (): Promise<string> => readFile(join(t.deployment.leasesDir, "by-laptop", "01", "SHC00000001"), "latin1");

  it("keeps the lines of both schools in its laptop file, whichever school is written again", async () => {
    await run(t.deployment);
    const both = await checkCompletedRun(t.deployment.leasesDir);
    const lines = leaseLines(both.laptops.get(shared.serial) as string);
    assert.equal(lines.length, 2);
    assert.deepEqual(lines, [...lines].sort());
    const lineOfB = both.schools.get(B)?.get(shared.serial) as string;
    assert.ok(await verifiesFor(t.deployment, lineOfB, other), "B's line verifies with B's UUID");
    assert.ok(await verifiesFor(t.deployment, both.schools.get(A)?.get(shared.serial) as string, shared));

    let previous = both;
    for (const school of [A, B, A]) {
      await run(t.deployment, ["--force", school]);
      const after = await checkCompletedRun(t.deployment.leasesDir);
      const untouched = school === A ? B : A;
      assert.equal(after.schools.get(untouched)?.get(shared.serial), previous.schools.get(untouched)?.get(shared.serial));
      assert.equal(leaseLines(await laptopFile()).length, 2, `both lines after --force ${school}`);
      assert.notEqual(after.schools.get(school)?.get(shared.serial), previous.schools.get(school)?.get(shared.serial), "signed again");
      previous = after;
    }
  });

  it("keeps the other school's line when one school drops the laptop, and when one school vanishes", async () => {
    await run(t.deployment);
    const lineOfB = (await checkCompletedRun(t.deployment.leasesDir)).schools.get(B)?.get(shared.serial) as string;
    t.server.dataset.schools.set(A, { laptops: [laptop(2), laptop(4)] });
    await run(t.deployment);
    assert.equal(await laptopFile(), lineOfB, "only B's line once A no longer lists it");

    t.server.dataset.schools.set(A, { laptops: [shared, laptop(2)] });
    await run(t.deployment);
    const lineOfA = (await checkCompletedRun(t.deployment.leasesDir)).schools.get(A)?.get(shared.serial) as string;
    t.server.dataset.schools.delete(B);
    t.server.dataset.schools.set("schoolserver.c.example.org", { laptops: [laptop(5)] });
    t.server.dataset.schools.set("schoolserver.d.example.org", { laptops: [laptop(6)] });
    await run(t.deployment);
    const after = await checkCompletedRun(t.deployment.leasesDir);
    assert.equal(after.schools.has(B), false);
    assert.equal(await laptopFile(), lineOfA, "only A's line once B is removed");
  });

  it("revokes the laptop from both schools when it is stolen", async () => {
    await run(t.deployment);
    t.server.dataset.stolen = [{ serial: shared.serial, uuid: null }];
    await run(t.deployment);
    const after = await checkCompletedRun(t.deployment.leasesDir);
    assert.equal(after.laptops.has(shared.serial), false);
    for (const school of [A, B]) assert.equal(after.schools.get(school)?.has(shared.serial), false, school);
  });
});

describe("hostnames as inventario sends them", () => {
  const ip = "10.1.2.3";
  const underscore = "escuela_1.example.org";
  const ok = "ok.example.org";
  const t = useDeployment({ [ip]: [laptop(1)], [underscore]: [laptop(2)], [ok]: [laptop(3)] });

  it("signs IP addresses and underscores, and never deletes a school inventario still lists", async () => {
    await run(t.deployment);
    const first = await checkCompletedRun(t.deployment.leasesDir);
    assert.deepEqual([...first.schools.keys()].sort(), [ip, underscore, ok].sort());
    const kept = [await schoolSnapshot(t.deployment, ip), await schoolSnapshot(t.deployment, underscore)];
    await run(t.deployment, ["--force", ok]);
    assert.deepEqual([await schoolSnapshot(t.deployment, ip), await schoolSnapshot(t.deployment, underscore)], kept);
    await run(t.deployment);
    assert.deepEqual([await schoolSnapshot(t.deployment, ip), await schoolSnapshot(t.deployment, underscore)], kept);
  });

  it("leaves a refused school's files, a stray file and another school's files in by-school/ alone", async () => {
    await run(t.deployment);
    const refused = "-refused.example.org";
    const schoolDir = join(t.deployment.leasesDir, "by-school");
    const planted: Record<string, string> = {
      [refused]: await readFile(join(schoolDir, ok), "latin1"),
      README: "Leases for the school servers; do not edit.\n",
      "notes.12345": "looks like a temporary file of a school we do not own\n",
    };
    for (const [name, text] of Object.entries(planted)) await writeFile(join(schoolDir, name), text);
    await writeFile(join(t.deployment.stateDir, `${refused}.checksum`), "0123456789abcdef0123456789abcdef\n");
    t.server.dataset.schools.set(refused, { laptops: [laptop(3)] });
    const result = await runBundle([], t.deployment);
    assert.equal(result.code, 3, shown(result));
    assert.match(result.stderr, /school refused: hostname "-refused\.example\.org" starts with \. or -/);
    for (const [name, text] of Object.entries(planted)) assert.equal(await readFile(join(schoolDir, name), "latin1"), text, name);
    await run(t.deployment, ["--force", ok]);
    for (const [name, text] of Object.entries(planted)) assert.equal(await readFile(join(schoolDir, name), "latin1"), text, name);
    assert.ok((await readTree(t.deployment.leasesDir)).has("by-laptop/03/SHC00000003"));
  });
});

describe("two configurations sharing one leases_dir", () => {
  const NORTH = "a.north.org";
  const SOUTH = "d.south.org";
  let north: TestInventario;
  let south: TestInventario;
  let n: Deployment;
  let s: Deployment;
  beforeEach(async () => {
    const northData = emptyDataset();
    northData.schools.set(NORTH, { laptops: [laptop(1), laptop(2)] });
    northData.schools.set("b.north.org", { laptops: [laptop(3)] });
    const southData = emptyDataset();
    southData.schools.set(SOUTH, { laptops: [laptop(11), laptop(12)] });
    [north, south] = [await startInventario(northData), await startInventario(southData)];
    n = await makeDeployment(north.url);
    s = await makeDeployment(south.url);
    await s.writeConfig({ leases_dir: n.leasesDir });
  });
  afterEach(async () => {
    await Promise.all([north.close(), south.close()]);
    await Promise.all([n.remove(), s.remove()]);
  });

  it("each removes only the schools its own state_dir wrote", async () => {
    await run(n);
    await run(s);
    const southFiles = await schoolSnapshotIn(s, SOUTH);
    await run(n);
    await run(n, ["--force"]);
    assert.deepEqual(await schoolSnapshotIn(s, SOUTH), southFiles);
    north.dataset.schools.delete("b.north.org");
    await run(n, ["--force"]);
    const tree = await readTree(n.leasesDir);
    assert.equal(tree.has("by-school/b.north.org"), false, "its own vanished school is removed");
    assert.deepEqual(await schoolSnapshotIn(s, SOUTH), southFiles);
  });

  it("the lock covers leases_dir: the second configuration waits for the next round", async () => {
    north.dataset.schools.set("slow.north.org", { laptops: [], delayMs: 3000 });
    const busy = spawn(process.execPath, [BUNDLE, "--config", n.configPath, "slow.north.org"], { stdio: "ignore" });
    const exited = new Promise((resolve) => busy.on("close", resolve));
    try {
      for (let i = 0; i < 200 && !(await readTree(n.stateDir)).has("leasegen.log"); i += 1) await new Promise((r) => setTimeout(r, 25));
      const second = await runBundle([], s);
      assert.equal(second.code, 1, shown(second));
      assert.match(second.stderr, /instance already running/);
    } finally {
      busy.kill("SIGKILL");
      await exited;
    }
    await run(s);
  });

  /** schoolSnapshot with the leases read from the shared leases_dir. */
  function schoolSnapshotIn(deployment: Deployment, hostname: string): Promise<Map<string, Buffer>> {
    return schoolSnapshot({ ...deployment, leasesDir: n.leasesDir }, hostname);
  }
});

describe("a checksum file dated in the future", () => {
  const t = useDeployment({ [A]: [laptop(1)], [B]: [laptop(2)] });

  it("makes its school stale and logs a warning about the clock", async () => {
    await run(t.deployment);
    const before = await schoolSnapshot(t.deployment, B);
    const future = new Date("2030-01-01T00:00:00Z");
    await utimes(join(t.deployment.stateDir, `${A}.checksum`), future, future);
    await run(t.deployment);
    const log = await readLog(t.deployment);
    const outcome = log.filter((line) => line["hostname"] === A && line["action"] === "regenerated").at(-1);
    assert.equal(outcome?.["reason"], "state from the future");
    assert.ok(log.some((line) => line["level"] === "warn" && /in the future.*system clock/.test(String(line["msg"]))));
    assert.deepEqual(await schoolSnapshot(t.deployment, B), before, "the other school is up to date");
    await run(t.deployment);
    assert.equal((await readLog(t.deployment)).filter((line) => line["action"] === "regenerated").length, 3, "fixed after one run");
  });
});

describe("the stolen list fails closed", () => {
  const t = useDeployment({ [A]: [laptop(1), laptop(2), laptop(3)], [B]: [laptop(11), laptop(12)] });

  it("without any stolen list yet, an unavailable one signs nothing (exit 4)", async () => {
    t.server.dataset.rawStolenList = { status: 500, body: "oops" };
    const result = await runBundle([], t.deployment);
    assert.equal(result.code, 4, shown(result));
    assert.equal(stderrLines(result).length, 1, shown(result));
    assert.match(result.stderr, /stolen list: HTTP 500.*no previous stolen list to keep in force, so nothing is signed/);
    assert.deepEqual(await leaseFiles(t.deployment.leasesDir), []);
  });

  it("compares serials in upper case, and names an entry that is not a serial on stderr", async () => {
    t.server.dataset.stolen = [
      { serial: laptop(2).serial.toLowerCase(), uuid: null },
      { serial: "not-a-serial", uuid: null },
    ];
    const result = await runBundle([], t.deployment);
    assert.equal(result.code, 0, shown(result));
    assert.match(
      result.stderr,
      /stolen list: entries not as expected, 1 with a serial that is not 11 characters A-Z 0-9 \("not-a-serial"\)/,
    );
    const contents = await checkCompletedRun(t.deployment.leasesDir);
    assert.equal(contents.laptops.has(laptop(2).serial), false);
    assert.equal(contents.schools.get(A)?.has(laptop(2).serial), false);
    assert.equal(await readFile(join(t.deployment.leasesDir, "stolen.list"), "utf8"), `${laptop(2).serial}\n`);
  });

  it("holds a stolen list that loses too many entries at once, until --force", async () => {
    t.server.dataset.stolen = [laptop(1), laptop(2), laptop(11)];
    await run(t.deployment);
    const stolenFiles = ["stolen.csv", "stolen.list"].map((name) => join(t.deployment.leasesDir, name));
    const before = await Promise.all(stolenFiles.map((path) => readFile(path)));
    t.server.dataset.stolen = [];
    const held = await runBundle([], t.deployment);
    assert.equal(held.code, 3, shown(held));
    assert.match(
      held.stderr,
      /stolen list held by the shrink guard: 3 of its 3 entries would be dropped at once .*it would go from 3 to 0 laptops/,
    );
    assert.deepEqual(await Promise.all(stolenFiles.map((path) => readFile(path))), before);
    const contents = await checkCompletedRun(t.deployment.leasesDir);
    for (const stolen of [laptop(1), laptop(2), laptop(11)]) assert.equal(contents.laptops.has(stolen.serial), false, stolen.serial);
    await run(t.deployment, ["--force"]);
    const applied = await checkCompletedRun(t.deployment.leasesDir);
    for (const found of [laptop(1), laptop(2), laptop(11)]) assert.ok(applied.laptops.has(found.serial), found.serial);
  });

  it("laptops that leave a school for the stolen list are revoked, not held as lost", async () => {
    await run(t.deployment);
    t.server.dataset.schools.set(A, { laptops: [laptop(1)] });
    t.server.dataset.stolen = [laptop(2), laptop(3)];
    await run(t.deployment);
    const contents = await checkCompletedRun(t.deployment.leasesDir);
    assert.deepEqual([...(contents.schools.get(A)?.keys() ?? [])], [laptop(1).serial]);
  });

  it("a stolen list that cannot be written fails that step (exit 3), and still applies to the run", async () => {
    await mkdir(join(t.deployment.leasesDir, "stolen.csv"), { recursive: true });
    t.server.dataset.stolen = [laptop(12)];
    const result = await runBundle([], t.deployment);
    assert.equal(result.code, 3, shown(result));
    assert.match(result.stderr, /cannot write the stolen lists: .*the new list still applies to this run/);
    const tree = await readTree(t.deployment.leasesDir);
    assert.ok(tree.has(`by-school/${A}`) && tree.has(`by-school/${B}`));
    assert.equal(tree.has(join("by-laptop", "12", laptop(12).serial)), false);
    await rm(join(t.deployment.leasesDir, "stolen.csv"), { recursive: true });
    await run(t.deployment);
  });
});
