// SIGTERM, SIGINT and SIGHUP through the bundle (issue 16 §8): the run stops starting work, kills
// the process groups it started (post_hook, make-lease.sh) and waits for them, logs and records
// that it was interrupted, frees its lock only then, and exits 128 + the signal's number.
// (A regeneration interrupted midway keeps every file whole: test/e2e/crash.test.ts.)
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, readFile, readdir, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { demoDataset, laptop } from "../support/datasets.js";
import { BUNDLE, ROOT, makeDeployment, readLog, readTree, runBundle, type Deployment } from "../support/harness.js";
import { startInventario, type TestInventario } from "../support/inventario-server.js";
import { shown } from "./issue3-helpers.js";

let server: TestInventario;
let deployment: Deployment;
/** Pids a test saw, killed at the end whatever happened, so that no test leaves a sleep behind. */
let seen: number[] = [];
beforeEach(async () => {
  server = await startInventario(demoDataset());
  deployment = await makeDeployment(server.url);
  seen = [];
});
afterEach(async () => {
  for (const pid of new Set(seen)) {
    // Only if it is still one of ours: a pid that ended may have been given to another process.
    const command = await readFile(`/proc/${pid}/cmdline`, "latin1").catch(() => "");
    if (/sleep|hook\.sh|make-lease/.test(command)) process.kill(pid, "SIGKILL");
  }
  await server.close();
  await deployment.remove();
});

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts a run, waits until `ready` holds, sends it `signal`, and resolves once it has ended. */
async function interruptRun(signal: NodeJS.Signals, ready: () => Promise<boolean>, env: Record<string, string> = {}): Promise<Ended> {
  const child = spawn(process.execPath, [BUNDLE, "--config", deployment.configPath], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Ended>((resolve) => child.on("close", (code, by) => resolve({ code, signal: by, stderr })));
  for (let i = 0; i < 1000 && !(await ready()); i += 1) await sleep(20);
  assert.ok(await ready(), "the run got where it was to be interrupted");
  child.kill(signal);
  const ended = await Promise.race([exited, sleep(60_000, undefined, { ref: false }).then(() => undefined)]);
  if (ended === undefined) child.kill("SIGKILL");
  assert.ok(ended !== undefined, `${signal}: the run did not end`);
  return ended;
}

/** The pids written in these files (one or more per line), remembered for the clean-up. */
async function pidsIn(...files: string[]): Promise<number[]> {
  const texts = await Promise.all(files.map((file) => readFile(file, "utf8").catch(() => "")));
  const pids = texts.join(" ").trim().split(/\s+/).filter(Boolean).map(Number);
  seen.push(...pids);
  return pids;
}

/** The live processes (zombies count as gone) of these process groups. */
async function groupMembers(groups: readonly number[]): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const [state, , pgrp] = stat.replace(/^.*\) /s, "").split(" ");
    if (state !== undefined && state !== "Z" && groups.includes(Number(pgrp))) members.push(Number(name));
  }
  return members;
}

async function runRecord(): Promise<{ lastRun: Record<string, unknown>; schools: Record<string, { outcome: string }> }> {
  return JSON.parse(await readFile(join(deployment.stateDir, "run-record.json"), "utf8")) as never;
}

/** Installs `body` as the hook script, configured by its path. */
async function useHook(body: string): Promise<void> {
  const script = join(deployment.dir, "hook.sh");
  await writeFile(script, `#!/bin/sh\n${body}\n`);
  await chmod(script, 0o755);
  await deployment.writeConfig({ post_hook: script, post_hook_timeout: "600" });
}

async function checkInterrupted(ended: Ended, signal: "SIGTERM" | "SIGINT" | "SIGHUP"): Promise<void> {
  assert.deepEqual({ code: ended.code, signal: ended.signal }, { code: 128 + constants.signals[signal], signal: null }, ended.stderr);
  assert.match(ended.stderr, new RegExp(`^inventario-leasegen: run interrupted by ${signal}: `, "m"));
  const logged = (await readLog(deployment)).at(-1);
  assert.equal(logged?.["level"], "error");
  assert.match(String(logged?.["msg"]), new RegExp(`^run interrupted by ${signal}: `));
  assert.equal(logged?.["exitCode"], 128 + constants.signals[signal]);
  const { lastRun } = await runRecord();
  assert.equal(lastRun["exitCode"], 128 + constants.signals[signal]);
  assert.equal(lastRun["error"], `interrupted by ${signal}`);
}

test("SIGTERM during a sleeping hook: its process group is killed and waited for, the run logs, records, frees the lock, exits 143", async () => {
  const files = { shell: join(deployment.dir, "hook.pid"), background: join(deployment.dir, "background.pid") };
  await useHook(`sleep 300 & echo $! > "${files.background}"; echo $$ > "${files.shell}"; sleep 300`);
  const hookRunning = async (): Promise<boolean> => (await pidsIn(files.shell, files.background)).length === 2;
  const ended = await interruptRun("SIGTERM", hookRunning);
  await checkInterrupted(ended, "SIGTERM");
  assert.match(ended.stderr, /post_hook was stopped: the run was interrupted by SIGTERM/);
  const [shell] = await pidsIn(files.shell);
  assert.deepEqual(await groupMembers([shell as number]), [], "nothing of the hook's process group outlives the run");
  const hook = (await readLog(deployment)).find((line) => line["action"] === "post_hook");
  assert.equal(hook?.["changedSchools"], 3);

  // The lock is free: the next run goes ahead (its schools were committed before the hook).
  await deployment.writeConfig();
  const next = await runBundle([], deployment);
  assert.equal(next.code, 0, shown(next));
});

test("SIGINT (Ctrl-C) during a hanging make-lease.sh: its process groups are killed, the school's files stay as they were, exit 130", async () => {
  const school = "schoolserver.escuela1.caacupe.paraguayeduca.org";
  const fake = join(ROOT, "test", "fixtures", "bios-crypto");
  await deployment.writeConfig({ signer: "bios-crypto", bios_crypto_path: fake, bios_crypto_timeout: "600" });
  const first = await runBundle([], deployment);
  assert.equal(first.code, 0, shown(first));
  const before = await readTree(deployment.leasesDir);

  server.dataset.schools.get(school)?.laptops.push(laptop(20));
  const pidFile = join(deployment.dir, "make-lease.pids");
  const hanging = async (): Promise<boolean> => (await pidsIn(pidFile)).length > 0;
  const ended = await interruptRun("SIGINT", hanging, { FAKE_MAKE_LEASE: "hang", FAKE_MAKE_LEASE_PIDS: pidFile });
  await checkInterrupted(ended, "SIGINT");
  // Each make-lease.sh is its own group's leader (the first pid of each line).
  const leaders = (await readFile(pidFile, "utf8"))
    .trim()
    .split("\n")
    .map((line) => Number(line.split(" ")[0]));
  assert.deepEqual(await groupMembers(leaders), [], "no process of make-lease.sh survives");
  assert.deepEqual(await readTree(deployment.leasesDir), before, "the school's files are whole, as they were");
  const { schools } = await runRecord();
  assert.equal(schools[school]?.outcome, "regenerated", "a school cut short keeps its recorded outcome: it did not fail");

  const next = await runBundle([], deployment);
  assert.equal(next.code, 0, shown(next));
  const after = await readTree(deployment.leasesDir);
  assert.ok((after.get(`by-school/${school}`)?.toString("latin1") ?? "").includes(laptop(20).serial), "the next run signs it");
});

test("SIGHUP during a hook that ignores SIGTERM: it is killed after a grace, and the run exits 129", async () => {
  const files = { shell: join(deployment.dir, "hook.pid"), background: join(deployment.dir, "background.pid") };
  await useHook(`trap '' TERM; sleep 300 & echo $! > "${files.background}"; echo $$ > "${files.shell}"; sleep 300`);
  const hookRunning = async (): Promise<boolean> => (await pidsIn(files.shell, files.background)).length === 2;
  const ended = await interruptRun("SIGHUP", hookRunning);
  await checkInterrupted(ended, "SIGHUP");
  const [shell] = await pidsIn(files.shell);
  assert.deepEqual(await groupMembers([shell as number]), []);
});
