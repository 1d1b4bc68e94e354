// packaging/install-test-deps.sh, which `make check` runs first: silent when every system tool
// the tests need is there; for a user who is not root and lacks some, one line naming the
// command to run as root, and a failing exit status before any test starts. (Its installing
// branch, as root, is what CI runs on a fresh machine; it is not run here, where it would change
// the machine.)
import { spawnSync } from "node:child_process";
import { chmod, copyFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ROOT } from "../support/harness.js";

const SCRIPT = join(ROOT, "packaging", "install-test-deps.sh");

function which(tool: string): string | undefined {
  const found = spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

describe("install-test-deps.sh", () => {
  it("says nothing and succeeds where every tool is installed", () => {
    const result = spawnSync(SCRIPT, { encoding: "utf8" });
    assert.deepEqual([result.status, result.stdout, result.stderr], [0, "", ""]);
  });

  it("stops a user who is not root with one line naming the install command", async () => {
    // A PATH with the shell, the package manager and nothing of the test tools.
    const bin = await mkdtemp(join(tmpdir(), "leasegen-deps-"));
    await chmod(bin, 0o755);
    try {
      const manager = which("apt-get") ? "apt-get" : "dnf";
      for (const tool of ["sh", "id", "sort", "tr", "sed", manager]) {
        const path = which(tool);
        assert.ok(path, `${tool} is not installed`);
        await symlink(path, join(bin, tool));
      }
      // As the user nobody when the tests run as root, from a copy nobody can read wherever the
      // checkout is (a clone in a `mktemp -d` directory is private to its owner).
      const script = join(bin, "install-test-deps.sh");
      await copyFile(SCRIPT, script);
      await chmod(script, 0o755);
      const asUser = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
      const [command = "", ...args] = [...asUser, "env", `PATH=${bin}`, "sh", script];
      const result = spawnSync(command, args, { encoding: "utf8" });
      assert.equal(result.status, 1);
      assert.equal(result.stdout, "");
      const install = manager === "apt-get" ? "apt-get update && apt-get install -y --no-install-recommends" : "dnf install -y";
      const line = new RegExp(
        `^install-test-deps: missing system packages for the tests; as root run: ${install.replace(/[&]/g, "\\&")} ([a-z0-9_/-]+ )*rpmlint( [a-z0-9_/-]+)*\\n$`,
      );
      assert.match(result.stderr, line);
    } finally {
      await rm(bin, { recursive: true, force: true });
    }
  });
});
