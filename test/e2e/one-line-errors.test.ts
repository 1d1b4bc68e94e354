// Issue 11 §11 through the bundle: every error is one line on stderr, never a stack trace, and an
// unexpected error's stack goes to the log when there is one. The cases the tester found: a
// state_dir that is a file, a log that cannot be written, a full disk (test/e2e/disk-full.test.ts),
// and `inventario-leasegen --help | head` (the reader leaves: EPIPE on stdout).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { BUNDLE, readLog, runBundle, useDemoDeployment, type RunResult } from "../support/harness.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const demo = useDemoDeployment();
const STACK_FRAME = /^\s+at /m;

/** Exit `code` and exactly this one line on stderr, no stack. */
function assertOneLine(result: RunResult, code: number, line: RegExp): void {
  assert.equal(result.code, code, shown(result));
  assert.equal(stderrLines(result).length, 1, shown(result));
  assert.doesNotMatch(result.stderr, STACK_FRAME);
  assert.match(result.stderr.trimEnd(), line);
}

test("a state_dir that is a file, or below a file: exit 4 and one line naming it", async () => {
  const file = join(demo.deployment.dir, "a-file");
  await writeFile(file, "not a directory\n");
  await demo.deployment.writeConfig({ state_dir: file });
  assertOneLine(await runBundle([], demo.deployment), 4, /^inventario-leasegen: cannot use state_dir .*\/a-file: it is not a directory$/);
  await demo.deployment.writeConfig({ state_dir: join(file, "state") });
  assertOneLine(
    await runBundle([], demo.deployment),
    4,
    /^inventario-leasegen: cannot use state_dir .*\/a-file\/state: a part of its path is not a directory$/,
  );
});

test("a log that cannot be opened (a directory in its place): exit 4, one line, the lock freed", async () => {
  await mkdir(join(demo.deployment.stateDir, "leasegen.log"), { recursive: true });
  for (let i = 0; i < 2; i += 1) {
    assertOneLine(
      await runBundle([], demo.deployment),
      4,
      /^inventario-leasegen: cannot write the log .*\/leasegen\.log: EISDIR: illegal operation on a directory.*; the run stopped$/,
    );
  }
  await rm(join(demo.deployment.stateDir, "leasegen.log"), { recursive: true });
  assert.equal((await runBundle([], demo.deployment)).code, 0);
});

test("--help to a reader that has gone (| head): no error at all", async () => {
  const child = spawn(process.execPath, [BUNDLE, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy(); // the reader leaves before the help is written: EPIPE
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(stderr, "");
  assert.equal(code, 0);
});

test("standard output that cannot be written (/dev/full): exit 4, one line", async () => {
  const full = openSync("/dev/full", "w");
  try {
    const child = spawn(process.execPath, [BUNDLE, "--version"], { stdio: ["ignore", full, "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assertOneLine(
      { code, stdout: "", stderr },
      4,
      /^inventario-leasegen: cannot write to standard output: ENOSPC: no space left on device/,
    );
  } finally {
    closeSync(full);
  }
});

test("an unexpected error (a bug, simulated) is one line on stderr; its stack goes to the log", async () => {
  const bug = join(demo.deployment.dir, "bug.js");
  await writeFile(bug, 'require("node:os").availableParallelism = () => { throw new TypeError("simulated bug"); };\n');
  const result = await runBundle([], demo.deployment, { NODE_OPTIONS: `--require ${bug}` });
  assertOneLine(result, 4, /^inventario-leasegen: simulated bug$/);
  const logged = (await readLog(demo.deployment)).find((line) => line["msg"] === "simulated bug");
  assert.equal(logged?.["level"], "error");
  assert.match(String(logged?.["stack"]), /^TypeError: simulated bug\n\s+at /);

  // Thrown outside any run, outside any promise: still one line.
  const crash = join(demo.deployment.dir, "crash.js");
  await writeFile(crash, 'setImmediate(() => { throw new Error("simulated crash\\n    at nowhere (crash.js:1:1)"); });\n');
  assertOneLine(
    await runBundle(["--version"], undefined, { NODE_OPTIONS: `--require ${crash}` }),
    4,
    /^inventario-leasegen: simulated crash/,
  );
});
