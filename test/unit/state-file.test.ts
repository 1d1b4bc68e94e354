// The state files' writer: write-file-atomic, and never through a link in the file's place.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { temporaryFileTarget } from "../../src/core/temporary-file.js";
import { replaceStateFile } from "../../src/io/state-file.js";

const root = mkdtempSync(join(tmpdir(), "leasegen-state-file-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("replaceStateFile: replaces a file with mode 0644, for an absolute or a relative path, and leaves no temporary file", async () => {
  const dir = join(root, "plain");
  await mkdir(dir);
  await replaceStateFile(join(dir, "a.checksum"), "one\n");
  await replaceStateFile(join(dir, "a.checksum"), "two\n");
  await replaceStateFile(relative(process.cwd(), join(dir, "run-record.json")), "{}\n");
  assert.equal(await readFile(join(dir, "a.checksum"), "utf8"), "two\n");
  assert.equal(await readFile(join(dir, "run-record.json"), "utf8"), "{}\n");
  assert.equal((await lstat(join(dir, "a.checksum"))).mode & 0o777, 0o644);
  assert.deepEqual((await readdir(dir)).sort(), ["a.checksum", "run-record.json"]);
});

test("replaceStateFile: a symbolic link in the file's place is replaced, never written through", async () => {
  const dir = join(root, "link");
  await mkdir(dir);
  const victim = join(root, "victim");
  await writeFile(victim, "untouched");
  await symlink(victim, join(dir, "a.checksum"));
  await replaceStateFile(join(dir, "a.checksum"), "mine\n");
  assert.equal(await readFile(victim, "utf8"), "untouched");
  assert.ok((await lstat(join(dir, "a.checksum"))).isFile());
  assert.equal(await readFile(join(dir, "a.checksum"), "utf8"), "mine\n");
});

test("replaceStateFile: in a directory reached through a link, writes there", async () => {
  const real = join(root, "real");
  await mkdir(real);
  await symlink(real, join(root, "through"));
  await replaceStateFile(join(root, "through", "b.checksum"), "x\n");
  assert.equal(await readFile(join(real, "b.checksum"), "utf8"), "x\n");
  assert.deepEqual(await readdir(real), ["b.checksum"]);
});

test("what a killed replaceStateFile leaves is recognised as a temporary file of its target", () => {
  assert.equal(temporaryFileTarget("escuela.example.checksum.123456789"), "escuela.example.checksum");
});
