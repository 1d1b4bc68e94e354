// Issue 3 §2 through the bundle: a stolen laptop never gets a lease, a laptop that left its
// school (or whose school vanished) loses its by-laptop file, even after a killed run, and a
// laptop that moved keeps a valid lease signed from its new school.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { constants, verify } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { laptop } from "../support/datasets.js";
import { BUNDLE, makeDeployment, publicKeyOf, readLog, readTree, runBundle, type Deployment } from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario, type TestSchool } from "../support/inventario-server.js";
import { checkCompletedRun, shown } from "./issue3-helpers.js";

const A = "schoolserver.a.example.org";
const B = "schoolserver.b.example.org";
const C = "schoolserver.c.example.org";
const D = "schoolserver.d.example.org";

describe("revocation", () => {
  let server: TestInventario;
  let deployment: Deployment;
  const school = (hostname: string): TestSchool => server.dataset.schools.get(hostname) as TestSchool;
  const run = async (args: string[] = [], expected = 0): Promise<Awaited<ReturnType<typeof checkCompletedRun>>> => {
    const result = await runBundle(args, deployment);
    assert.equal(result.code, expected, shown(result));
    return checkCompletedRun(deployment.leasesDir);
  };

  before(async () => {
    const dataset = emptyDataset();
    dataset.schools.set(A, { laptops: [laptop(1), laptop(2), laptop(3), laptop(4), laptop(5), laptop(6)] });
    dataset.schools.set(B, { laptops: [laptop(11), laptop(12)] });
    dataset.schools.set(C, { laptops: [laptop(21), laptop(22)] });
    dataset.schools.set(D, { laptops: [laptop(31)] });
    server = await startInventario(dataset);
    deployment = await makeDeployment(server.url, { http_timeout: "30" });
    const contents = await run();
    assert.equal(contents.laptops.size, 11);
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  it("a stolen laptop still listed by its school loses its lease everywhere", async () => {
    server.dataset.stolen = [{ serial: laptop(2).serial, uuid: laptop(2).uuid }];
    const contents = await run();
    assert.equal(contents.schools.get(A)?.has(laptop(2).serial), false);
    assert.equal(contents.laptops.has(laptop(2).serial), false);
    assert.equal(contents.schools.get(A)?.size, 5);
    assert.equal(await readFile(join(deployment.leasesDir, "stolen.list"), "utf8"), `${laptop(2).serial}\n`);
    assert.equal(await readFile(join(deployment.leasesDir, "stolen.csv"), "utf8"), `${laptop(2).serial},${laptop(2).uuid}\n`);
  });

  it("a stolen laptop listed by a school that fails this run is still taken out of its files", async () => {
    server.dataset.stolen.push({ serial: laptop(12).serial, uuid: null });
    school(B).raw = { status: 500, body: "oops" };
    try {
      const contents = await run([], 3);
      assert.equal(contents.laptops.has(laptop(12).serial), false);
      assert.equal(contents.schools.get(B)?.has(laptop(12).serial), false, "the stolen laptop keeps its lease in by-school/B");
      assert.equal(contents.schools.get(B)?.has(laptop(11).serial), true);
    } finally {
      delete school(B).raw;
    }
    await run();
  });

  it("when the stolen list cannot be fetched, the previous one stays and still holds", async () => {
    const stolenBefore = (await readTree(deployment.leasesDir)).get("stolen.csv");
    server.dataset.rawStolenList = { status: 500, body: "We're sorry, but something went wrong." };
    // A school that changes and still lists the stolen laptop, and a new school that lists it too.
    school(A).laptops.push(laptop(7));
    server.dataset.schools.set("schoolserver.e.example.org", { laptops: [laptop(2), laptop(41)] });
    try {
      const result = await runBundle([], deployment);
      assert.equal(result.code, 3, shown(result));
      assert.match(result.stderr, /stolen list/);
      const contents = await checkCompletedRun(deployment.leasesDir);
      assert.deepEqual((await readTree(deployment.leasesDir)).get("stolen.csv"), stolenBefore);
      assert.ok(contents.schools.get(A)?.has(laptop(7).serial));
      assert.equal(contents.schools.get(A)?.has(laptop(2).serial), false);
      assert.deepEqual([...(contents.schools.get("schoolserver.e.example.org")?.keys() ?? [])], [laptop(41).serial]);
      assert.equal(contents.laptops.has(laptop(2).serial), false);
    } finally {
      delete server.dataset.rawStolenList;
      server.dataset.schools.delete("schoolserver.e.example.org");
    }
    await run();
  });

  it("a stolen list entry with a repeated element is malformed: the previous list stays in force (exit 3)", async () => {
    const stolenBefore = (await readTree(deployment.leasesDir)).get("stolen.csv");
    // Read as "the last one wins", this entry revoked only its second serial and let laptop 6 keep its lease.
    const entry = `<serial-number>${laptop(6).serial}</serial-number>\n    <uuid nil="true"/>\n    <serial-number>${laptop(2).serial}</serial-number>`;
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<objects type="array">\n  <object>\n    ${entry}\n  </object>\n</objects>\n`;
    server.dataset.rawStolenList = { status: 200, body };
    try {
      const result = await runBundle([], deployment);
      assert.equal(result.code, 3, shown(result));
      assert.match(result.stderr, /stolen list: .*<serial-number> repeated in <object>.*the previous stolen list stays in force/);
      assert.deepEqual((await readTree(deployment.leasesDir)).get("stolen.csv"), stolenBefore);
      const contents = await checkCompletedRun(deployment.leasesDir);
      assert.equal(contents.laptops.has(laptop(2).serial), false, "the previous list still holds");
    } finally {
      delete server.dataset.rawStolenList;
    }
    await run();
  });

  it("a serial is the same in both lists however it is cased or spaced: listed ' shc…' by its school, it is revoked", async () => {
    const sloppy = laptop(5);
    school(A).laptops = school(A).laptops.map((l) => (l.serial === sloppy.serial ? { ...l, serial: ` ${l.serial.toLowerCase()} ` } : l));
    const renewed = await run();
    assert.ok(renewed.schools.get(A)?.has(sloppy.serial), "signed under its normalised serial");
    server.dataset.stolen.push({ serial: sloppy.serial, uuid: sloppy.uuid });
    const revoked = await run();
    assert.equal(revoked.schools.get(A)?.has(sloppy.serial), false);
    assert.equal(revoked.laptops.has(sloppy.serial), false);
    server.dataset.stolen = server.dataset.stolen.filter((l) => l.serial !== sloppy.serial);
    school(A).laptops = school(A).laptops.map((l) => (l.serial.trim().toUpperCase() === sloppy.serial ? sloppy : l));
    assert.ok((await run()).laptops.has(sloppy.serial));
  });

  it("a laptop taken off the stolen list gets its lease back, though its school's list did not change", async () => {
    // Laptop 12 (school B) is found again while B fails: the next complete run still signs it.
    server.dataset.stolen = server.dataset.stolen.filter((l) => l.serial !== laptop(12).serial);
    school(B).raw = { status: 500, body: "oops" };
    try {
      const failed = await run([], 3);
      assert.equal(failed.laptops.has(laptop(12).serial), false);
    } finally {
      delete school(B).raw;
    }
    const contents = await run();
    assert.ok(contents.schools.get(B)?.has(laptop(12).serial));
    assert.ok(contents.laptops.has(laptop(12).serial));
    assert.ok((await readLog(deployment)).some((l) => l["hostname"] === B && l["reason"] === "laptop no longer stolen"));
    assert.equal((await readTree(deployment.stateDir)).has("reinstated.list"), false, "forgotten after a complete run");
    const again = await runBundle([], deployment);
    assert.equal(again.code, 0);
    assert.equal((await readLog(deployment)).at(-1)?.["regenerated"], 0, "and not signed again and again");
  });

  it("a school whose file the sweep took a stolen laptop out of is up to date at the next run, not taken for damaged", async () => {
    server.dataset.stolen.push({ serial: laptop(1).serial, uuid: null });
    school(A).raw = { status: 500, body: "oops" };
    try {
      const failed = await run([], 3);
      assert.equal(failed.schools.get(A)?.has(laptop(1).serial), false, "revoked from the failed school's file by the sweep");
    } finally {
      delete school(A).raw;
    }
    const next = await run();
    assert.equal(next.schools.get(A)?.has(laptop(1).serial), false);
    const lastOfA = (await readLog(deployment)).filter((l) => l["hostname"] === A).at(-1);
    assert.equal(lastOfA?.["action"], "up to date", JSON.stringify(lastOfA));
    assert.equal((await readLog(deployment)).at(-1)?.["leasesSigned"], 0);
    server.dataset.stolen = server.dataset.stolen.filter((l) => l.serial !== laptop(1).serial);
    await run();
  });

  it("a school file that is not a lease file, and that the run could not rewrite, stops the sweep from deleting any laptop file", async () => {
    const schoolPath = join(deployment.leasesDir, "by-school", D);
    const original = await readFile(schoolPath);
    await writeFile(schoolPath, "[1,{truncated");
    // A school that inventario answers is regenerated ("output damaged"), its file whole again.
    school(D).raw = { status: 500, body: "oops" };
    school(C).laptops.push(laptop(23)); // something to do, so the run sweeps
    // A laptop stolen now, listed by a school that fails this run: still revoked from its file.
    server.dataset.stolen.push({ serial: laptop(1).serial, uuid: null });
    school(A).raw = { status: 500, body: "oops" };
    const laptopsBefore = [...(await readTree(join(deployment.leasesDir, "by-laptop"))).keys()];
    const result = await runBundle([], deployment);
    delete school(A).raw;
    delete school(D).raw;
    assert.equal(result.code, 3, shown(result));
    assert.match(
      result.stderr,
      new RegExp(`by-school/${D.replace(/\./g, "\\.")} is not a lease file: laptop files are kept; run --force ${D}`),
    );
    const laptopsAfter = [...(await readTree(join(deployment.leasesDir, "by-laptop"))).keys()];
    const revoked = join(laptop(1).serial.slice(-2), laptop(1).serial);
    for (const path of laptopsBefore) if (path !== revoked) assert.ok(laptopsAfter.includes(path), path);
    const schoolA = readSchoolFile(await readFile(join(deployment.leasesDir, "by-school", A), "latin1"));
    assert.equal(schoolA.has(laptop(1).serial), false, "revoked from the failed school's file");
    await writeFile(schoolPath, original);
    server.dataset.stolen = server.dataset.stolen.filter((l) => l.serial !== laptop(1).serial);
    await run();
  });

  it("a laptop that left its school loses its by-laptop file", async () => {
    const index = school(A).laptops.findIndex((l) => l.serial === laptop(3).serial);
    school(A).laptops.splice(index, 1);
    const contents = await run();
    assert.equal(contents.schools.get(A)?.has(laptop(3).serial), false);
    assert.equal(contents.laptops.has(laptop(3).serial), false);
  });

  it("a laptop that moved keeps a valid lease signed from its new school", async () => {
    const moved = laptop(4);
    school(A).laptops = school(A).laptops.filter((l) => l.serial !== moved.serial);
    school(C).laptops.push(moved);
    school(C).expiry = "20991231T060000Z";
    const contents = await run();
    assert.equal(contents.schools.get(A)?.has(moved.serial), false);
    assert.equal(contents.schools.get(C)?.get(moved.serial), contents.laptops.get(moved.serial));
    const line = contents.laptops.get(moved.serial) as string;
    const [, , , expiry, , , , signature] = line.trimEnd().split(" ");
    assert.equal(expiry, "20991231T060000Z");
    const key = await publicKeyOf(deployment.keyPath);
    const message = Buffer.from(`${moved.serial}:${moved.uuid}:K:${expiry}`, "ascii");
    assert.ok(
      verify("sha256", message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8 }, Buffer.from(signature as string, "hex")),
    );
  });

  it("a laptop that left its school loses its file even when the run that dropped it was killed before its sweep", async () => {
    // A drops laptop 5 and is committed; then the run waits on D (slow) and is killed.
    school(A).laptops = school(A).laptops.filter((l) => l.serial !== laptop(5).serial);
    school(D).delayMs = 20_000;
    const checksumBefore = await readFile(join(deployment.stateDir, `${A}.checksum`), "utf8");
    const child = spawn(process.execPath, [BUNDLE, "--config", deployment.configPath], { stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      for (let i = 0; i < 400; i += 1) {
        const now = await readFile(join(deployment.stateDir, `${A}.checksum`), "utf8").catch(() => checksumBefore);
        if (now !== checksumBefore) break;
        await sleep(25);
      }
      child.kill("SIGKILL");
      await exited;
    } finally {
      delete school(D).delayMs;
    }
    const killed = await readTree(join(deployment.leasesDir, "by-laptop"));
    assert.ok(
      killed.has(join(laptop(5).serial.slice(-2), laptop(5).serial)),
      "the killed run had already swept (test did not kill in time)",
    );
    // Nothing changes in inventario now: the next run has nothing to regenerate, yet sweeps.
    const contents = await run();
    assert.equal(contents.laptops.has(laptop(5).serial), false);
  });

  it("a school that vanished from inventario's list loses all its files", async () => {
    const gone = [...(server.dataset.schools.get(D)?.laptops ?? [])];
    server.dataset.schools.delete(D);
    const contents = await run();
    assert.equal(contents.schools.has(D), false);
    for (const l of gone) assert.equal(contents.laptops.has(l.serial), false);
    assert.equal((await readTree(deployment.stateDir)).has(`${D}.checksum`), false);
  });

  it("holds the removal when more than max_shrink_percent of the schools vanish at once, until --force", async () => {
    const saved = new Map(server.dataset.schools);
    server.dataset.schools.clear();
    server.dataset.schools.set(A, saved.get(A) as TestSchool);
    const before = await readTree(deployment.leasesDir);
    try {
      const result = await runBundle([], deployment);
      assert.equal(result.code, 3, shown(result));
      assert.match(result.stderr, /2 of 3 schools are no longer listed.*--force/);
      assert.deepEqual(await readTree(deployment.leasesDir), before);
      // An empty list (inventario's nil-classes) is held the same way.
      server.dataset.schools.clear();
      const empty = await runBundle([], deployment);
      assert.equal(empty.code, 3, shown(empty));
      assert.match(empty.stderr, /3 of 3 schools/);
      assert.deepEqual(await readTree(deployment.leasesDir), before);
      server.dataset.schools.set(A, saved.get(A) as TestSchool);
      const contents = await run(["--force"]);
      assert.deepEqual([...contents.schools.keys()], [A]);
      assert.deepEqual([...contents.laptops.keys()].sort(), [...(contents.schools.get(A)?.keys() ?? [])].sort());
    } finally {
      for (const [hostname, value] of saved) server.dataset.schools.set(hostname, value);
    }
  });
});
