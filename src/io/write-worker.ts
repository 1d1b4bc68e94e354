// The body of a file-writing worker thread: replaces each batch's files one after the other with
// atomic-file.ts's synchronous form, so that each file's steps run back to back on this
// thread instead of queueing behind other files' fsyncs in libuv's pool. Runs from the same
// bundle file as the program.
import { replaceFileSync, type FileEntries } from "./atomic-file.js";
import { hasRole, serveBatches } from "./worker-pool.js";

export const WRITE_WORKER_ROLE = "inventario-leasegen file writer";

export interface WriteWorkerSetup {
  readonly role: typeof WRITE_WORKER_ROLE;
}

export function isWriteWorker(data: unknown): data is WriteWorkerSetup {
  return hasRole(data, WRITE_WORKER_ROLE);
}

/** Each batch is files to replace; the reply, how many were. */
export function runWriteWorker(): void {
  serveBatches((files: FileEntries) => {
    for (const [path, data] of files) replaceFileSync(path, data);
    return files.length;
  });
}
