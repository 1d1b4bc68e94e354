// The pool behind the signer, the verifier and the file writer: a worker that dies, whatever its
// exit code, fails its batch instead of leaving it unanswered (a run would hang or stop silently).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { WorkerPool } from "../../src/io/worker-pool.js";

const root = mkdtempSync(join(tmpdir(), "leasegen-pool-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A worker script that answers with `reply(batch)`, written to a file as the pool needs one. */
function workerScript(name: string, body: string): string {
  const path = join(root, `${name}.js`);
  writeFileSync(
    path,
    `const { parentPort } = require("node:worker_threads");\nparentPort.on("message", ({ id, batch }) => {\n${body}\n});\n`,
  );
  return path;
}

const LIMITS = { maxOldGenerationSizeMb: 16 };

test("batches are answered in their own order of submission", async () => {
  const pool = new WorkerPool<number, number>(
    workerScript("double", "parentPort.postMessage({ id, result: batch * 2 });"),
    {},
    2,
    LIMITS,
    "closed",
  );
  try {
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((n) => pool.submit(n))), [2, 4, 6, 8, 10]);
  } finally {
    await pool.close();
  }
});

for (const code of [0, 3]) {
  test(`a worker that exits by itself with code ${code} fails its batch and every later one`, { timeout: 10_000 }, async () => {
    const pool = new WorkerPool<number, number>(workerScript(`exit${code}`, `process.exit(${code});`), {}, 1, LIMITS, "closed");
    try {
      await assert.rejects(pool.submit(1), new RegExp(`worker exited with code ${code}`));
      await assert.rejects(pool.submit(2), new RegExp(`worker exited with code ${code}`));
    } finally {
      await pool.close();
    }
  });
}

test("closing the pool fails the batches still waiting, with the pool's message", { timeout: 10_000 }, async () => {
  const pool = new WorkerPool<number, number>(workerScript("silent", "// never answers"), {}, 1, LIMITS, "signer closed");
  const pending = assert.rejects(pool.submit(1), /signer closed/);
  await pool.close();
  await pending;
  await assert.rejects(pool.submit(2), /signer closed/);
});
