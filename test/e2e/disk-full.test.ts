// Issue 11 §4 through the bundle: a log or state write that fails (a full file system under
// state_dir) ends the run in bounded time with one line on stderr and exit 4, and frees the
// lock; leases already committed stay, and the next run, once there is space, recovers. It
// used to retry the failed log write forever while holding the lock, so that every later
// cron run exited 1. Each run here is killed if it has not ended after a minute (code null).
import assert from "node:assert/strict";
import { appendFile, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { laptop } from "../support/datasets.js";
import { readTree, runBundle, useDemoDeployment, withTmpfs, type Deployment, type RunResult } from "../support/harness.js";
import { checkCompletedRun, shown, stderrLines } from "./issue3-helpers.js";

const demo = useDemoDeployment();
const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
const HANG_LIMIT_MS = 60_000;
const PAGE = 4096;

const run = (args: string[] = []): Promise<RunResult> => runBundle(args, demo.deployment, {}, HANG_LIMIT_MS);

/** Asserts a run that stopped by itself with exit 4 and this one line on stderr. */
function assertStopped(result: RunResult, line: RegExp): void {
  assert.notEqual(result.code, null, `killed after ${HANG_LIMIT_MS} ms: the run hung\n${shown(result)}`);
  assert.equal(result.code, 4, shown(result));
  assert.deepEqual(stderrLines(result).length, 1, shown(result));
  assert.match(result.stderr.trimEnd(), line);
}

async function schoolSerials(deployment: Deployment, hostname: string): Promise<string[]> {
  const text = await readFile(join(deployment.leasesDir, "by-school", hostname), "latin1");
  return [...readSchoolFile(text).keys()];
}

test("a log that cannot take a line (/dev/full) stops the run: exit 4, one line; the next run recovers", async () => {
  assert.equal((await run()).code, 0);
  const newcomer = laptop(70);
  demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(newcomer);
  const log = join(demo.deployment.stateDir, "leasegen.log");
  await rm(log);
  await symlink("/dev/full", log);
  for (let i = 0; i < 2; i += 1) {
    // Twice: the lock died with the first run, so the second is not "already running".
    assertStopped(
      await run(),
      /^inventario-leasegen: cannot write the log .*leasegen\.log: ENOSPC: no space left on device.*; the run stopped$/,
    );
  }
  await rm(log);
  const recovered = await run();
  assert.equal(recovered.code, 0, shown(recovered));
  assert.ok((await schoolSerials(demo.deployment, SCHOOL2)).includes(newcomer.serial));
  await checkCompletedRun(demo.deployment.leasesDir);
});

test("state_dir on a full file system: the state write, then the log write, stop the run; committed leases stay", async (t) => {
  const mountPoint = join(demo.deployment.dir, "statefs");
  // mode=0755: a new tmpfs is 1777, where a run would not make its state_dir (another account could first).
  await withTmpfs(t, mountPoint, "size=64k,mode=0755", async () => {
    const stateDir = join(mountPoint, "state");
    const log = join(stateDir, "leasegen.log");
    const fillers: string[] = [];
    /** Takes every free page of the tmpfs: 4 KiB files, then 1-byte ones (a page each). */
    const fill = async (): Promise<void> => {
      for (const size of [PAGE, 1]) {
        for (;;) {
          const path = join(mountPoint, `filler-${fillers.length}`);
          fillers.push(path);
          try {
            await writeFile(path, Buffer.alloc(size));
          } catch {
            break; // ENOSPC
          }
        }
      }
    };
    await demo.deployment.writeConfig({ state_dir: stateDir, log_format: "text" });
    assert.equal((await run()).code, 0);
    const newcomer = laptop(71);
    demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(newcomer);

    // The log's last page has room, no page is free: the school's state file cannot be written.
    await writeFile(log, "");
    await appendFile(log, "a line from an earlier week\n");
    await fill();
    const checksumBefore = await readFile(join(stateDir, `${SCHOOL2}.checksum`), "utf8");
    assertStopped(await run(), /^inventario-leasegen: cannot write to state_dir .*: ENOSPC: no space left on device.*; the run stopped$/);
    assert.ok((await schoolSerials(demo.deployment, SCHOOL2)).includes(newcomer.serial), "the school's committed leases stay");
    assert.equal(await readFile(join(stateDir, `${SCHOOL2}.checksum`), "utf8"), checksumBefore, "its checksum was not written");
    assert.match(await readFile(log, "utf8"), / ERROR cannot write to state_dir /);

    // The log's last page is full too: the first line of the next run cannot be written.
    await appendFile(log, "x".repeat(PAGE - ((await stat(log)).size % PAGE) - 1) + "\n");
    for (let i = 0; i < 2; i += 1)
      assertStopped(
        await run(),
        /^inventario-leasegen: cannot write the log .*leasegen\.log: ENOSPC: no space left on device.*; the run stopped$/,
      );

    // Space again: the next run recovers, and the school is regenerated (its checksum was missing its change).
    for (const path of fillers) await rm(path, { force: true });
    const recovered = await run();
    assert.equal(recovered.code, 0, shown(recovered));
    assert.match(await readFile(log, "utf8"), new RegExp(`INFO {2}${SCHOOL2}: regenerated \\(list changed\\): `));
    const contents = await checkCompletedRun(demo.deployment.leasesDir);
    assert.ok(contents.schools.get(SCHOOL2)?.has(newcomer.serial));
    assert.equal(
      [...(await readTree(stateDir)).keys()].filter((name) => /\.tmp$|^\.|\/\./.test(name)).length,
      0,
      "no stray temporary file",
    );
    assert.equal((await run()).code, 0);
  });
});
