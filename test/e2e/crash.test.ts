// Issue 3 §7 through the bundle: kill -9 a large regeneration at (seeded) random moments. After
// each kill every visible file under leases_dir is whole; the next run is not blocked, completes,
// and leaves no temporary file and no lease file of a laptop that no school lists. Issue 17 §7:
// the same while schools are partly renewed, and every laptop keeps a lease that verifies.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, readdir, stat } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { laptop, syntheticDataset } from "../support/datasets.js";
import { BUNDLE, makeDeployment, publicKeyOf, readLog, runBundle, type Deployment } from "../support/harness.js";
import { startInventario, type TestInventario, type TestLaptop } from "../support/inventario-server.js";
import { seeded } from "../support/seeded.js";
import { checkCompletedRun, checkVisibleFiles, shown } from "./issue3-helpers.js";

const LAPTOPS = 3000;
const SCHOOLS = 10;
const KILLS = 8;

describe("kill -9 during a large regeneration", () => {
  let server: TestInventario;
  let deployment: Deployment;

  before(async () => {
    server = await startInventario(syntheticDataset(LAPTOPS, SCHOOLS));
    deployment = await makeDeployment(server.url, { http_timeout: "30" });
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  it(`never shows a torn file, and the next run cleans up (${KILLS} kills)`, async () => {
    const started = performance.now();
    const first = await runBundle([], deployment);
    assert.equal(first.code, 0, shown(first));
    // Only to spread the kills over a run's length; nothing is asserted about time.
    const runMs = Math.max(200, performance.now() - started);
    await checkCompletedRun(deployment.leasesDir);

    const random = seeded(Number(process.env["LEASEGEN_CRASH_SEED"] ?? 20130315));
    const schools = [...server.dataset.schools.values()];
    let next = LAPTOPS;
    for (let kill = 0; kill < KILLS; kill += 1) {
      // inventario changes a little each time: some laptops leave, new ones come, one moves.
      const school = schools[kill % SCHOOLS] as (typeof schools)[number];
      school.laptops.splice(0, 5);
      for (let i = 0; i < 5; i += 1) school.laptops.push(laptop(next++));
      const mover = schools[(kill + 1) % SCHOOLS]?.laptops.pop();
      if (mover) school.laptops.push(mover);

      const delay = Math.round((0.05 + 0.95 * random()) * runMs);
      const child = spawn(process.execPath, [BUNDLE, "--config", deployment.configPath, "--force"], { stdio: "ignore" });
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      await sleep(delay);
      child.kill("SIGKILL");
      await exited;

      const visible = await checkVisibleFiles(deployment.leasesDir);
      assert.equal(visible.schools.size, SCHOOLS, `kill ${kill} after ${delay} ms: school files missing`);

      const result = await runBundle([], deployment);
      assert.equal(result.code, 0, `run after kill ${kill} (at ${delay} ms): ${shown(result)}`);
      const contents = await checkCompletedRun(deployment.leasesDir);
      assert.equal(contents.schools.size, SCHOOLS);
      for (const [hostname, value] of server.dataset.schools) {
        const serials = [...new Set(value.laptops.map((l) => l.serial))].sort();
        assert.deepEqual([...(contents.schools.get(hostname)?.keys() ?? [])], serials, `${hostname} after kill ${kill}`);
      }
      const state = (await readdir(deployment.stateDir, { recursive: true })).filter((name) => name !== "leasegen.log").sort();
      const hostnames = [...server.dataset.schools.keys()];
      const records = ["leasegen.lock", "run-record.json", "signed"];
      const expected = [...hostnames.map((h) => `${h}.checksum`), ...records, ...hostnames.map((h) => `signed/${h}.json`)];
      assert.deepEqual(state, expected.sort());
    }
  });

  it(`partly renewed schools: every laptop keeps a valid lease at every kill, and the next run completes (${KILLS} kills)`, async () => {
    const key = await publicKeyOf(deployment.keyPath);
    const schools = [...server.dataset.schools.entries()];
    const completed = await runBundle([], deployment);
    assert.equal(completed.code, 0, shown(completed));
    /** Every (serial, UUID) of `pairs` has a lease line in its laptop file that verifies for it. */
    const assertEveryLaptopLeased = (laptops: Map<string, string>, pairs: readonly TestLaptop[], when: string): void => {
      for (const { serial, uuid } of pairs) {
        const lines = (laptops.get(serial) ?? "").split(/(?<=\n)/);
        const valid = lines.some((line) => {
          const [, , , expiry, , , , signature] = line.trimEnd().split(" ");
          return verifyLeaseSignature(key, `${serial}:${uuid as string}:K:${expiry as string}`, signature ?? "");
        });
        assert.ok(valid, `${when}: ${serial} has no lease that verifies for ${uuid as string}`);
      }
    };
    let next = LAPTOPS * 10;
    /** Every school changes a little: two laptops get a new UUID, three come, two leave. Returns the laptops that did not change. */
    const change = (): TestLaptop[] => {
      const unchanged: TestLaptop[] = [];
      for (const [, school] of schools) {
        school.laptops.splice(0, 2);
        for (let i = 0; i < 2; i += 1) school.laptops[i] = { serial: (school.laptops[i] as TestLaptop).serial, uuid: laptop(next++).uuid };
        unchanged.push(...school.laptops.slice(2));
        for (let i = 0; i < 3; i += 1) school.laptops.push(laptop(next++));
      }
      return unchanged;
    };
    const random = seeded(Number(process.env["LEASEGEN_CRASH_SEED"] ?? 20130316));
    const logFile = join(deployment.stateDir, "leasegen.log");
    /** Resolves once the run whose log starts at `offset` has logged `count` schools (or ended). */
    const schoolsLogged = async (offset: number, count: number, child: ChildProcess): Promise<void> => {
      while (child.exitCode === null && child.signalCode === null) {
        const text = (await readFile(logFile, "utf8")).slice(offset);
        if ((text.match(/"action":"(regenerated|up to date)"/g) ?? []).length >= count) return;
        await sleep(5);
      }
    };
    let interrupted = 0;
    for (let kill = 0; kill < KILLS; kill += 1) {
      const before = (await checkCompletedRun(deployment.leasesDir)).schools;
      const unchanged = change();
      // Just after a random number of schools were committed, while the next ones are.
      const offset = (await readFile(logFile, "utf8")).length;
      const child = spawn(process.execPath, [BUNDLE, "--config", deployment.configPath], { stdio: "ignore" });
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      const after = Math.floor(random() * SCHOOLS);
      const delay = Math.round(random() * 40);
      await schoolsLogged(offset, after, child);
      await sleep(delay);
      child.kill("SIGKILL");
      await exited;
      const dated = await Promise.all(
        schools.map(async ([hostname]) => (await stat(join(deployment.stateDir, `${hostname}.checksum`))).mtimeMs),
      );
      if (dated.includes(0)) interrupted += 1;

      const visible = await checkVisibleFiles(deployment.leasesDir);
      assert.equal(visible.schools.size, SCHOOLS, `kill ${kill} after ${after} schools: school files missing`);
      assertEveryLaptopLeased(visible.laptops, unchanged, `kill ${kill} after ${after} schools`);

      const result = await runBundle([], deployment);
      assert.equal(result.code, 0, `run after kill ${kill} (after ${after} schools): ${shown(result)}`);
      const contents = await checkCompletedRun(deployment.leasesDir);
      for (const [hostname, school] of schools) {
        assertEveryLaptopLeased(contents.laptops, school.laptops, `after kill ${kill}`);
        // Kept, byte for byte, whether its school was committed before the kill or after it.
        for (const { serial } of unchanged.filter((l) => before.get(hostname)?.has(l.serial)))
          assert.equal(
            contents.schools.get(hostname)?.get(serial),
            before.get(hostname)?.get(serial),
            `${hostname} ${serial} after kill ${kill}`,
          );
      }
      const again = await runBundle([], deployment);
      assert.equal(again.code, 0, shown(again));
      assert.equal((await readLog(deployment)).at(-1)?.["regenerated"], 0, `after kill ${kill}: the work was completed`);
    }
    // A school cut short has its checksum file dated 1970 (its commit began, and did not end).
    assert.ok(interrupted > 0, "no kill fell while a school was being written: nothing was tested");
  });

  it("SIGTERM and SIGINT end a regeneration promptly (exit 143, 130), logged and recorded, with whole files, and the next run completes", async () => {
    const starts = async (): Promise<number> => (await readLog(deployment)).filter((line) => line["msg"] === "run started").length;
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const before = await starts();
      const child = spawn(process.execPath, [BUNDLE, "--config", deployment.configPath, "--force"], { stdio: "ignore" });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("exit", (code, by) => resolve({ code, signal: by })),
      );
      // Once the run holds the lock and is under way.
      for (let i = 0; i < 400 && (await starts()) === before; i += 1) await sleep(10);
      await sleep(100);
      child.kill(signal);
      const ended = await Promise.race([exited, sleep(20_000, undefined, { ref: false }).then(() => undefined)]);
      if (ended === undefined) child.kill("SIGKILL");
      assert.ok(ended !== undefined, `${signal}: the run did not end`);
      // 128 + the signal's number, once it has logged and recorded that it was interrupted.
      assert.deepEqual(ended, { code: 128 + constants.signals[signal], signal: null });
      const logged = (await readLog(deployment)).at(-1);
      assert.match(String(logged?.["msg"]), new RegExp(`^run interrupted by ${signal}: `));
      const record = JSON.parse(await readFile(join(deployment.stateDir, "run-record.json"), "utf8")) as { lastRun: { error: string } };
      assert.equal(record.lastRun.error, `interrupted by ${signal}`);

      const visible = await checkVisibleFiles(deployment.leasesDir);
      assert.equal(visible.schools.size, SCHOOLS, `${signal}: school files missing`);
      const result = await runBundle([], deployment);
      assert.equal(result.code, 0, `${signal}: the next run: ${shown(result)}`);
      await checkCompletedRun(deployment.leasesDir);
    }
  });
});
