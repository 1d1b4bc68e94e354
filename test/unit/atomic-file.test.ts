// The one file writer: write-file-atomic, with what it does not do by itself around it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { replaceFile, replaceFiles } from "../../src/io/atomic-file.js";

const root = mkdtempSync(join(tmpdir(), "leasegen-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = async (): Promise<string> => {
  const dir = join(root, String((dirs += 1)));
  await mkdir(dir);
  return dir;
};

test("replaces a file with mode 0644 and leaves no temporary file, for an absolute or a relative path", async () => {
  const dir = await freshDir();
  await replaceFile(join(dir, "a"), "one");
  await replaceFile(join(dir, "a"), "two");
  await replaceFile(relative(process.cwd(), join(dir, "b")), "three");
  assert.equal(await readFile(join(dir, "a"), "utf8"), "two");
  assert.equal(await readFile(join(dir, "b"), "utf8"), "three");
  assert.equal((await lstat(join(dir, "a"))).mode & 0o777, 0o644);
  assert.deepEqual((await readdir(dir)).sort(), ["a", "b"]);
});

test("a symbolic link in the file's place is replaced, never written through", async () => {
  const dir = await freshDir();
  const outside = join(await freshDir(), "precious");
  await writeFile(outside, "keep me");
  await symlink(outside, join(dir, "lease"));
  await symlink(join(dir, "nowhere"), join(dir, "dangling"));
  await replaceFile(join(dir, "lease"), "new lease");
  await replaceFile(join(dir, "dangling"), "new too");
  assert.equal(await readFile(outside, "utf8"), "keep me");
  for (const name of ["lease", "dangling"]) assert.ok((await lstat(join(dir, name))).isFile(), `${name} is a regular file now`);
  assert.equal(await readFile(join(dir, "lease"), "utf8"), "new lease");
  assert.deepEqual((await readdir(dir)).sort(), ["dangling", "lease"]);
});

test("writes many files, creating their directories", async () => {
  const dir = await freshDir();
  const files = new Map([...Array(40).keys()].map((i) => [join(dir, String(i % 7), `f${i}`), `${i}`]));
  await replaceFiles(files);
  for (const [path, data] of files) assert.equal(await readFile(path, "utf8"), data);
});
