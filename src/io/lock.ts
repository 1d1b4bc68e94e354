// One run at a time per state directory and per leases directory (two configurations may share
// a leases_dir, and their sweeps must not meet). Each lock is a Unix socket in Linux's abstract
// namespace, named after the directory's real path: the kernel frees it when the process dies,
// however it dies (kill -9 included), so no stale lock can block the next run.
import { createHash } from "node:crypto";
import { realpath } from "node:fs/promises";
import { createConnection, createServer, type Server } from "node:net";
import { resolve } from "node:path";

export interface Lock {
  release(): Promise<void>;
}

export interface LockedDirectories {
  readonly stateDir: string;
  readonly leasesDir: string;
}

type Kind = "state" | "leases";

/** The directory's real path, or the absolute path of one that does not exist yet (a dry run creates nothing). */
async function lockName(kind: Kind, dir: string): Promise<string> {
  const path = await realpath(dir).catch(() => resolve(dir));
  return `\0inventario-leasegen/${kind}/${createHash("sha256").update(path).digest("hex").slice(0, 40)}`;
}

/** Resolves to the lock, or to undefined if another run holds either directory. */
export async function acquireLock(dirs: LockedDirectories): Promise<Lock | undefined> {
  const held: Server[] = [];
  for (const [kind, dir] of [
    ["state", dirs.stateDir],
    ["leases", dirs.leasesDir],
  ] as const) {
    const server = await listen(await lockName(kind, dir));
    if (!server) {
      await Promise.all(held.map(closeServer));
      return undefined;
    }
    held.push(server);
  }
  return { release: () => Promise.all(held.map(closeServer)).then(() => undefined) };
}

/** Whether a run holds the state directory's lock now, found without taking it (`status` takes no lock). */
export async function isLocked(stateDir: string): Promise<boolean> {
  const name = await lockName("state", stateDir);
  return new Promise((resolve) => {
    const socket = createConnection(name, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function listen(name: string): Promise<Server | undefined> {
  const server = createServer((socket) => socket.destroy());
  const listening = await new Promise<boolean>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(false) : reject(error)));
    server.listen(name, () => resolve(true));
  });
  if (!listening) return undefined;
  server.unref();
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
