// Files that must not exist yet, such as a new key pair: unlike every other file this program
// writes, they are created (O_EXCL), never replaced, so an existing key is never overwritten.
import { open, rm, type FileHandle } from "node:fs/promises";

export interface NewFile {
  readonly path: string;
  readonly data: Buffer;
  readonly mode: number;
}

/**
 * Creates every file or none: all are opened with O_CREAT|O_EXCL before any is written, and if
 * one cannot be (it exists, say), the ones just created are removed again.
 */
export async function createNewFiles(files: readonly NewFile[]): Promise<void> {
  const opened: { file: NewFile; handle: FileHandle }[] = [];
  try {
    for (const file of files) opened.push({ file, handle: await open(file.path, "wx", file.mode) });
    for (const { file, handle } of opened) {
      await handle.writeFile(file.data);
      await handle.sync();
    }
  } catch (error) {
    await Promise.all(opened.map(({ handle }) => handle.close().catch(() => undefined)));
    await Promise.all(opened.map(({ file }) => rm(file.path, { force: true })));
    throw error;
  }
  await Promise.all(opened.map(({ handle }) => handle.close()));
}
