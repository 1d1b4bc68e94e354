// The one file writer, in its asynchronous form (single files) and its synchronous one (the
// writer threads).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { watch } from "node:fs";
import { lstat, mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { ownTemporaryTarget } from "../../src/core/temporary-file.js";
import { replaceFile, replaceFileSync, replaceFiles } from "../../src/io/atomic-file.js";

const root = mkdtempSync(join(tmpdir(), "leasegen-atomic-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = async (): Promise<string> => {
  const dir = join(root, String((dirs += 1)));
  await mkdir(dir);
  return dir;
};

const FORMS = [
  { form: "replaceFile", replace: replaceFile },
  { form: "replaceFileSync", replace: (path: string, data: string) => Promise.resolve(replaceFileSync(path, data)) },
];

for (const { form, replace } of FORMS) {
  test(`${form}: replaces a file with mode 0644 and leaves no temporary file, for an absolute or a relative path`, async () => {
    const dir = await freshDir();
    await replace(join(dir, "a"), "one");
    await replace(join(dir, "a"), "two");
    await replace(relative(process.cwd(), join(dir, "b")), "three");
    assert.equal(await readFile(join(dir, "a"), "utf8"), "two");
    assert.equal(await readFile(join(dir, "b"), "utf8"), "three");
    assert.equal((await lstat(join(dir, "a"))).mode & 0o777, 0o644);
    assert.deepEqual((await readdir(dir)).sort(), ["a", "b"]);
  });

  test(`${form}: a symbolic link in the file's place is replaced, never written through`, async () => {
    const dir = await freshDir();
    const outside = join(await freshDir(), "precious");
    await writeFile(outside, "keep me");
    await symlink(outside, join(dir, "lease"));
    await symlink(join(dir, "nowhere"), join(dir, "dangling"));
    await replace(join(dir, "lease"), "new lease");
    await replace(join(dir, "dangling"), "new too");
    assert.equal(await readFile(outside, "utf8"), "keep me");
    for (const name of ["lease", "dangling"]) assert.ok((await lstat(join(dir, name))).isFile(), `${name} is a regular file now`);
    assert.equal(await readFile(join(dir, "lease"), "utf8"), "new lease");
    assert.deepEqual((await readdir(dir)).sort(), ["dangling", "lease"]);
  });

  test(`${form}: a directory reached through a symbolic link is written in, and the link stays`, async () => {
    const real = await freshDir();
    const dir = await freshDir();
    await symlink(real, join(dir, "linked"));
    await replace(join(dir, "linked", "a"), "through");
    assert.equal(await readFile(join(real, "a"), "utf8"), "through");
    assert.ok((await lstat(join(dir, "linked"))).isSymbolicLink());
    assert.deepEqual(await readdir(real), ["a"]);
  });
}

for (const { form, replace } of FORMS) {
  test(`${form}: its temporary file is named .<name>.<pid>-<n>.tmp, a name no school or laptop file can have`, async () => {
    const dir = await freshDir();
    const seen = new Set<string>();
    const watcher = watch(dir, (_event, name) => void (name && seen.add(name)));
    try {
      await replace(join(dir, "escuela.1234567"), "[1,{}]");
      for (let i = 0; i < 200 && !seen.has("escuela.1234567"); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      watcher.close();
    }
    const temporary = [...seen].filter((name) => name !== "escuela.1234567");
    assert.ok(temporary.length > 0, `no temporary file seen: ${[...seen].join(", ")}`);
    for (const name of temporary) {
      assert.match(name, new RegExp(`^\\.escuela\\.1234567\\.${process.pid}-\\d+\\.tmp$`));
      assert.equal(ownTemporaryTarget(name), "escuela.1234567");
    }
  });
}

test("writes many files, creating their directories", async () => {
  const dir = await freshDir();
  const files = new Map([...Array(40).keys()].map((i) => [join(dir, String(i % 7), `f${i}`), `${i}`]));
  await replaceFiles(files);
  for (const [path, data] of files) assert.equal(await readFile(path, "utf8"), data);
});
