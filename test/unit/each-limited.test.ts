import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { eachLimited } from "../../src/io/each-limited.js";

test("runs every item, never more than the limit at once", async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    running += 1;
    most = Math.max(most, running);
    await sleep(5);
    done.push(item);
    running -= 1;
  });
  assert.deepEqual([...done].sort(), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(most, 3);
});

test("after a failure: no new task starts, and the error comes once the running ones finished", async () => {
  let running = 0;
  const started: number[] = [];
  await assert.rejects(
    eachLimited([1, 2, 3, 4, 5, 6], 2, async (item) => {
      started.push(item);
      running += 1;
      try {
        if (item === 1) throw new Error("first failed");
        await sleep(30);
      } finally {
        running -= 1;
      }
    }),
    /first failed/,
  );
  assert.equal(running, 0, "nothing still running when the error arrives");
  assert.deepEqual(started, [1, 2], "no task started after the failure");
});
