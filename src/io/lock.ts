// One run at a time per state directory. The lock is a Unix socket in Linux's abstract
// namespace, named after the state directory's real path: the kernel frees it when the
// process dies, however it dies (kill -9 included), so no stale lock can block the next run.
import { createHash } from "node:crypto";
import { mkdir, realpath } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";

export interface Lock {
  release(): Promise<void>;
}

async function lockName(stateDir: string): Promise<string> {
  const id = createHash("sha256")
    .update(await realpath(stateDir))
    .digest("hex")
    .slice(0, 40);
  return `\0inventario-leasegen/${id}`;
}

/** Resolves to the lock, or to undefined if another run holds it. */
export async function acquireLock(stateDir: string): Promise<Lock | undefined> {
  await mkdir(stateDir, { recursive: true });
  const name = await lockName(stateDir);
  const server = createServer((socket) => socket.destroy());
  const listening = await new Promise<boolean>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(false) : reject(error)));
    server.listen(name, () => resolve(true));
  });
  if (!listening) return undefined;
  server.unref();
  return { release: () => closeServer(server) };
}

/** Whether a run holds the lock now, found without taking it (`status` takes no lock). */
export async function isLocked(stateDir: string): Promise<boolean> {
  const name = await lockName(stateDir).catch(() => undefined);
  if (name === undefined) return false;
  return new Promise((resolve) => {
    const socket = createConnection(name, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
