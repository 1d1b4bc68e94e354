// Bounded concurrency for I/O: enough in flight to overlap waits, not so much that it floods.

/**
 * Runs `task` over `items` with at most `limit` at once. After a failure no new task starts,
 * and the first error is thrown only once the running ones have finished, so nothing a caller
 * cleans up after (a scratch directory, say) is still being written to.
 */
export async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length && !failed; i = next++) {
      try {
        await task(items[i] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, lane));
  const rejected = lanes.find((lane): lane is PromiseRejectedResult => lane.status === "rejected");
  if (rejected) throw rejected.reason;
}
