// Issue 3 §7 through the bundle: kill -9 a large regeneration at (seeded) random moments. After
// each kill every visible file under leases_dir is whole; the next run is not blocked, completes,
// and leaves no temporary file and no lease file of a laptop that no school lists.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { laptop, syntheticDataset } from "../support/datasets.js";
import { BUNDLE, makeDeployment, readLog, runBundle, type Deployment } from "../support/harness.js";
import { startInventario, type TestInventario } from "../support/inventario-server.js";
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
