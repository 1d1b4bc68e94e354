// BASELINE ONLY, not used by the program: the hand-written writer that write-file-atomic replaced
// (src/io/atomic-file.ts at commit a5f54d1, its `replaceFile` alone), kept here so that the bench
// can say what write-file-atomic costs per file against it. O_EXCL-create a temporary file beside
// the target, write, fsync, close, rename; on failure remove the temporary file.
import * as fs from "node:fs";
import { basename, dirname, join } from "node:path";

let written = 0;

export function baselineReplaceFile(path: string, data: string): Promise<void> {
  written += 1;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${written}.tmp`);
  return new Promise((resolve, reject) => {
    const fail = (error: Error, fd?: number): void => {
      const cleanUp = (): void => fs.rm(temp, { force: true }, () => reject(error));
      if (fd === undefined) cleanUp();
      else fs.close(fd, cleanUp);
    };
    fs.open(temp, "wx", 0o644, (openError, fd) => {
      if (openError) return reject(openError);
      fs.writeFile(fd, data, (writeError) => {
        if (writeError) return fail(writeError, fd);
        fs.fsync(fd, (syncError) => {
          if (syncError) return fail(syncError, fd);
          fs.close(fd, (closeError) => {
            if (closeError) return fail(closeError);
            fs.rename(temp, path, (renameError) => (renameError ? fail(renameError) : resolve()));
          });
        });
      });
    });
  });
}
