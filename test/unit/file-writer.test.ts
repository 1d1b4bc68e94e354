// Many files at once on writer threads: the same files, modes and guarantees as one at a time,
// and a failure reported, not lost.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ThreadedFileWriter, writerThreads } from "../../src/io/file-writer.js";

/** The compiled entry: worker threads run it in the writer role, as they run the bundle. */
const WORKER_FILE = join(__dirname, "..", "..", "src", "index.js");
const root = mkdtempSync(join(tmpdir(), "leasegen-writer-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Two writer threads for one test, stopped after it; every file goes to them, however few. */
async function withWriter(work: (writer: ThreadedFileWriter) => Promise<void>): Promise<void> {
  const writer = new ThreadedFileWriter(WORKER_FILE, 2, 0);
  try {
    await work(writer);
  } finally {
    await writer.close();
  }
}

test("writes every file of many, in many directories, mode 0644, with no temporary file left", async () => {
  await withWriter(async (writer) => {
    const dir = join(root, "many");
    const files = new Map([...Array(500).keys()].map((i) => [join(dir, String(i % 13).padStart(2, "0"), `f${i}`), `lease ${i}\n`]));
    await writer.replaceFiles(files);
    await writer.replaceFiles(new Map([...files].map(([path, data]) => [path, data.toUpperCase()])));
    for (const [path, data] of files) {
      assert.equal(await readFile(path, "utf8"), data.toUpperCase());
      assert.equal((await lstat(path)).mode & 0o777, 0o644);
    }
    const names = (await Promise.all([...Array(13).keys()].map((i) => readdir(join(dir, String(i).padStart(2, "0")))))).flat();
    assert.equal(names.length, 500);
  });
});

test("a symbolic link in a file's place is replaced, never written through", async () => {
  await withWriter(async (writer) => {
    const dir = join(root, "link");
    await mkdir(dir);
    await writeFile(join(root, "precious"), "keep me");
    await symlink(join(root, "precious"), join(dir, "lease"));
    await writer.replaceFiles(new Map([[join(dir, "lease"), "new lease"]]));
    assert.equal(await readFile(join(root, "precious"), "utf8"), "keep me");
    assert.ok((await lstat(join(dir, "lease"))).isFile());
  });
});

test("a file that cannot be written fails the call with its path, and the writer goes on", async () => {
  await withWriter(async (writer) => {
    const dir = join(root, "blocked");
    await mkdir(join(dir, "a-directory"), { recursive: true });
    const files = new Map([
      [join(dir, "ok"), "fine"],
      [join(dir, "a-directory"), "cannot replace a directory"],
    ]);
    await assert.rejects(writer.replaceFiles(files), (error: Error) => error.message.includes(join(dir, "a-directory")));
    await writer.replaceFiles(new Map([[join(dir, "after"), "still writing"]]));
    assert.equal(await readFile(join(dir, "after"), "utf8"), "still writing");
  });
});

test("a few files are written from this thread: no writer thread starts for them", async () => {
  // A bundle that does not exist: starting a thread would fail the call.
  const writer = new ThreadedFileWriter(join(root, "no-such-bundle.js"), 2);
  try {
    const dir = join(root, "few");
    const files = new Map([...Array(31).keys()].map((i) => [join(dir, `f${i}`), `lease ${i}\n`]));
    await writer.replaceFiles(files);
    for (const [path, data] of files) assert.equal(await readFile(path, "utf8"), data);
    await assert.rejects(writer.replaceFiles(new Map([...Array(32).keys()].map((i) => [join(dir, `g${i}`), "x"]))));
  } finally {
    await writer.close();
  }
});

test("one writer thread more than cores, at most 4", () => {
  assert.deepEqual([1, 2, 3, 4, 16].map(writerThreads), [2, 3, 4, 4, 4]);
});
