// Issue 15 §3 and §7 through the bundle, as root with throwaway users (CI runs as root; as
// another user these tests are skipped): the lock is the service user's alone, so another account
// on the host can neither hold it nor block a run, not even by binding the names of the abstract
// sockets the lock once was; and a run started as root by the launcher goes on with the service
// user's HOME, USER and LOGNAME, which its hook sees.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { AS_ROOT, NEEDS_ROOT, addUser, asUser, handOver, removeUser, throwawayName, type Account } from "../support/accounts.js";
import { LEASES_LOCK, ROOT, runCommand, useDemoDeployment, type RunResult } from "../support/harness.js";

const demo = useDemoDeployment();
/** dist/ copied where any user can read it, and the home of the service user. */
let dir = "";
let service: Account;
let other: Account;

before(async () => {
  if (!AS_ROOT) return;
  dir = await mkdtemp(join(tmpdir(), "leasegen-accounts-"));
  await chmod(dir, 0o755);
  await cp(join(ROOT, "dist"), join(dir, "lib"), { recursive: true });
  service = addUser(throwawayName("svc"), join(dir, "home"));
  other = addUser(throwawayName("other"));
  await mkdir(join(dir, "home"), { mode: 0o700 });
  await chown(join(dir, "home"), service.uid, service.gid);
});
after(async () => {
  if (!AS_ROOT) return;
  for (const account of [service, other]) if (account) removeUser(account.name);
  await rm(dir, { recursive: true, force: true });
});

/** The bundle run as `account`, on the demo deployment. */
function runAs(account: Account, args: readonly string[]): Promise<RunResult> {
  const [setpriv, ...options] = asUser(account);
  const bundle = join(dir, "lib", "index.js");
  return runCommand(setpriv as string, [...options, process.execPath, bundle, "--config", demo.deployment.configPath, ...args]);
}

/**
 * Run by the other account: binds the abstract socket names the lock used to be (a hash of each
 * directory's real path), tries to open each lock file, to flock it, and to create a file beside
 * it; prints what it managed as one JSON line, then holds the names until killed.
 */
const SQUATTER = `
const { spawnSync } = require("node:child_process");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");
const [stateDir, leasesDir] = process.argv.slice(1);
const report = { bound: [], opened: [], flocked: [], created: [] };
for (const lock of [path.join(stateDir, "leasegen.lock"), path.join(leasesDir, ${JSON.stringify(LEASES_LOCK)})]) {
  for (const flags of ["r", "r+"]) {
    try { fs.closeSync(fs.openSync(lock, flags)); report.opened.push(lock + " " + flags); } catch {}
  }
  if (spawnSync("flock", ["--nonblock", lock, "true"]).status === 0) report.flocked.push(lock);
}
for (const dir of [stateDir, leasesDir]) {
  try { fs.writeFileSync(path.join(dir, "planted"), ""); report.created.push(dir); } catch {}
}
let pending = 2;
const done = () => { if (--pending === 0) console.log(JSON.stringify(report)); };
for (const [kind, dir] of [["state", stateDir], ["leases", leasesDir]]) {
  const hash = createHash("sha256").update(fs.realpathSync(dir)).digest("hex").slice(0, 40);
  const server = net.createServer();
  server.once("error", done);
  server.listen("\\0inventario-leasegen/" + kind + "/" + hash, () => { report.bound.push(kind); done(); });
}
`;

test(
  "another account can neither open nor hold the lock, and the names of the old lock's sockets block no run",
  { skip: NEEDS_ROOT },
  async () => {
    const { deployment } = demo;
    await handOver(deployment, service);
    const first = await runAs(service, []);
    assert.equal(first.code, 0, first.stderr);
    for (const path of [join(deployment.stateDir, "leasegen.lock"), join(deployment.leasesDir, LEASES_LOCK)]) {
      const info = await stat(path);
      assert.deepEqual([info.mode & 0o7777, info.uid, info.size], [0o600, service.uid, 0], path);
    }

    const [setpriv, ...options] = asUser(other);
    const squatter = spawn(setpriv as string, [...options, process.execPath, "-e", SQUATTER, deployment.stateDir, deployment.leasesDir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => squatter.on("exit", resolve));
    try {
      const [line] = (await once(createInterface({ input: squatter.stdout }), "line")) as [string];
      // It holds the names the old lock would have needed; it can do nothing with the new one.
      assert.deepEqual(JSON.parse(line), { bound: ["state", "leases"], opened: [], flocked: [], created: [] });
      const run = await runAs(service, ["--force"]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(squatter.exitCode, null, "the other account held the names during the run");
    } finally {
      squatter.kill("SIGKILL");
    }
    await exited;
  },
);

test(
  "a run started as root by the launcher goes on with the service user's HOME, USER and LOGNAME, which its hook uses",
  { skip: NEEDS_ROOT },
  async () => {
    const { deployment } = demo;
    // The hook works in $HOME, as an rsync or ssh hook reads its keys from there.
    await deployment.writeConfig({ post_hook: `cd "$HOME" && printf '%s\\n' "$HOME" "$USER" "$LOGNAME" > hook-env` });
    await handOver(deployment, service);
    let launcher = await readFile(join(ROOT, "packaging", "inventario-leasegen.sh"), "utf8");
    for (const [variable, value] of Object.entries({
      node: process.execPath,
      bundle: join(dir, "lib", "index.js"),
      service_user: service.name,
    })) {
      const line = new RegExp(`^${variable}=.*$`, "m");
      assert.match(launcher, line, variable);
      launcher = launcher.replace(line, `${variable}=${value}`);
    }
    await writeFile(join(dir, "launcher"), launcher, { mode: 0o755 });

    // As root's shell or cron would start it.
    const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/root", USER: "root", LOGNAME: "root" };
    const result = await runCommand("sh", [join(dir, "launcher"), "--config", deployment.configPath], { env });
    assert.equal(result.code, 0, result.stderr);
    const home = join(dir, "home");
    assert.equal(await readFile(join(home, "hook-env"), "utf8"), `${home}\n${service.name}\n${service.name}\n`);
    assert.equal((await stat(join(home, "hook-env"))).uid, service.uid);
  },
);
