// One run at a time per state directory. The lock is a Unix socket in Linux's abstract
// namespace, named after the state directory's real path: the kernel frees it when the
// process dies, however it dies (kill -9 included), so no stale lock can block the next run.
import { createHash } from "node:crypto";
import { mkdir, realpath } from "node:fs/promises";
import { createServer, type Server } from "node:net";

export interface Lock {
  release(): Promise<void>;
}

/** Resolves to the lock, or to undefined if another run holds it. */
export async function acquireLock(stateDir: string): Promise<Lock | undefined> {
  await mkdir(stateDir, { recursive: true });
  const id = createHash("sha256")
    .update(await realpath(stateDir))
    .digest("hex")
    .slice(0, 40);
  const server = createServer((socket) => socket.destroy());
  const listening = await new Promise<boolean>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(false) : reject(error)));
    server.listen(`\0inventario-leasegen/${id}`, () => resolve(true));
  });
  if (!listening) return undefined;
  server.unref();
  return { release: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
