// The run contract (SPEC §7): exit statuses, the lock, the bundle on its own, --help/--version.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmod, chown, cp, link, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { syntheticDataset } from "../support/datasets.js";
import {
  BUNDLE,
  LEASES_LOCK,
  makeDeployment,
  readLog,
  readTree,
  runBundle,
  runCommand,
  ROOT,
  startBusyRun,
  useDemoDeployment,
} from "../support/harness.js";
import { makeKeyPair } from "../support/keys.js";

const demo = useDemoDeployment();

test("--help and --version exit 0; a bad option exits 2", async () => {
  const help = await runBundle(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: inventario-leasegen \[options\]/);
  assert.match(help.stdout, /--dry-run/);
  const version = await runBundle(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `${(JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string }).version}\n`);
  const bad = await runBundle(["--no-such-option"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown option '--no-such-option'/);
});

test("configuration errors exit 2 with one line naming the file and the key", async () => {
  const cases: [string, RegExp][] = [
    ["site = x\n", /missing required key "user"|key "site"/],
    ['user = "a"\npass = "b"\nsite = "http://h/"\nsigning_key_path = "/k"\nfrobnicate = 1\n', /unknown key "frobnicate"/],
    [
      'user = "a"\npass = "b"\nsite = "http://h/"\nsigning_key_path = "/k"\nstale_lease_threshold = "soon"\n',
      /"stale_lease_threshold" must be an integer/,
    ],
  ];
  for (const [text, message] of cases) {
    await writeFile(demo.deployment.configPath, text);
    const result = await runBundle([], demo.deployment);
    assert.equal(result.code, 2, text);
    assert.equal(result.stderr.split("\n").length, 2, "one line");
    assert.ok(result.stderr.includes(demo.deployment.configPath));
    assert.match(result.stderr, message);
  }
  const missing = await runBundle(["--config", join(demo.deployment.dir, "nope.conf")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nope\.conf: cannot read the configuration/);
});

test("nothing could be done exits 4: inventario unreachable, school list refused, key unreadable or mismatched", async () => {
  await demo.deployment.writeConfig({ site: "http://127.0.0.1:9/inventario/" });
  const unreachable = await runBundle([], demo.deployment);
  assert.equal(unreachable.code, 4);
  assert.match(unreachable.stderr, /stolen list: .*ECONNREFUSED.*no previous stolen list to keep in force, so nothing is signed/);

  // With a stolen list from an earlier run, the school list's own refusal is what stops the run.
  await demo.deployment.writeConfig();
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = await readTree(demo.deployment.leasesDir);
  await demo.deployment.writeConfig({ pass: "wrong" });
  const refused = await runBundle([], demo.deployment);
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /stolen list: HTTP 401 .*the previous stolen list stays in force\n.*school list: HTTP 401/);

  await demo.deployment.writeConfig({ signing_key_path: join(demo.deployment.dir, "missing-key") });
  const noKey = await runBundle([], demo.deployment);
  assert.equal(noKey.code, 4);
  assert.match(noKey.stderr, /cannot read key file .*missing-key\.private/);

  const other = await makeKeyPair(demo.deployment.dir, "other");
  await cp(`${other}.public`, `${demo.deployment.keyPath}.public`);
  await demo.deployment.writeConfig();
  const mismatch = await runBundle([], demo.deployment);
  assert.equal(mismatch.code, 4);
  assert.match(mismatch.stderr, /lease\.public is not the public half of .*lease\.private/);
  assert.deepEqual(await readTree(demo.deployment.leasesDir), before);
});

test("one school failing exits 3; HOSTS all unreachable with no stolen list exits 4", async () => {
  demo.server.dataset.schools.set("root.example.org", { laptops: [], atRoot: true });
  assert.equal((await runBundle([], demo.deployment)).code, 3);
  await demo.deployment.writeConfig({ site: "http://127.0.0.1:9/inventario/" });
  const down = await runBundle(["a.example.org,b.example.org"], demo.deployment);
  assert.equal(down.code, 4);
  assert.equal(down.stderr.trim().split("\n").length, 3, "one line per error: stolen list and two schools");
});

test("a second run while one is active exits 1; a run killed with -9 does not block the next", async () => {
  const busy = await startBusyRun(demo.server, demo.deployment);
  const second = await runBundle([], demo.deployment);
  assert.equal(second.code, 1);
  assert.equal(second.stderr, "instance already running, aborting...\n");
  const exited = new Promise((resolve) => busy.on("exit", resolve));
  busy.kill("SIGKILL");
  await exited;
  demo.server.dataset.schools.delete("slow.example.org");
  assert.equal((await runBundle([], demo.deployment)).code, 0);
});

test("a dry run takes no lock: a run started while an operator's dry run waits for inventario goes on", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  demo.server.dataset.schools.set("slow.example.org", { laptops: [], delayMs: 20_000 });
  const dry = spawn(process.execPath, [BUNDLE, "--config", demo.deployment.configPath, "--dry-run", "slow.example.org"], {
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => dry.on("exit", resolve));
  try {
    const waiting = (): boolean => demo.server.requests.some((request) => request.path.endsWith("hostname=slow.example.org"));
    for (let i = 0; i < 400 && !waiting(); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.ok(waiting(), "the dry run asked inventario");
    const run = await runBundle(["--force", "schoolserver.escuela2.caacupe.paraguayeduca.org"], demo.deployment);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(dry.exitCode, null, "the dry run was still in progress");
  } finally {
    dry.kill("SIGKILL");
  }
  await exited;
});

test("a lock file that others could open, not this user's, or not a plain file of its own is refused: exit 4, one line naming it", async () => {
  const { deployment } = demo;
  assert.equal((await runBundle([], deployment)).code, 0);
  const stateLock = join(deployment.stateDir, "leasegen.lock");
  const leasesLock = join(deployment.leasesDir, LEASES_LOCK);
  for (const path of [stateLock, leasesLock]) assert.equal((await stat(path)).mode & 0o7777, 0o600, path);
  // Each plants something at a lock file's path (the run before made a good one there).
  const replacing = (make: (path: string) => Promise<unknown>) => async (path: string) => {
    await rm(path);
    await make(path);
  };
  const cases: [string, string, (path: string) => Promise<unknown>, RegExp][] = [
    ["group-readable", stateLock, (path) => chmod(path, 0o640), /lock file .*\/leasegen\.lock can be opened by other users \(mode 0640\)/],
    [
      "world-writable",
      leasesLock,
      (path) => chmod(path, 0o602),
      /lock file .*\/\.leasegen\.lock can be opened by other users \(mode 0602\)/,
    ],
    [
      "a link",
      leasesLock,
      replacing((path) => symlink(join(deployment.dir, "elsewhere"), path)),
      /cannot open the lock file .*\/\.leasegen\.lock: it is a symbolic link$/m,
    ],
    [
      "a FIFO",
      stateLock,
      replacing(async (path) => execFileSync("mkfifo", ["-m", "0600", path])),
      /lock file .*\/leasegen\.lock is not a regular file/,
    ],
    [
      "a hard link",
      stateLock,
      replacing((path) => link(`${deployment.keyPath}.private`, path)),
      /lock file .*\/leasegen\.lock has 2 names/,
    ],
  ];
  if (process.getuid?.() === 0)
    cases.push([
      "another user's",
      stateLock,
      (path) => chown(path, 65534, 65534),
      /lock file .*\/leasegen\.lock belongs to uid 65534, not to this user \(uid 0\)/,
    ]);
  for (const [what, path, plant, message] of cases) {
    await plant(path);
    const refused = await runBundle([], deployment);
    assert.equal(refused.code, 4, `${what}: ${refused.stderr}`);
    assert.match(refused.stderr, message, what);
    assert.equal(refused.stderr.split("\n").length, 2, `${what}: one line: ${refused.stderr}`);
    // As the message says: once it is removed, the next run makes a new one.
    await rm(path);
    assert.equal((await runBundle([], deployment)).code, 0, `${what}: the next run makes a new lock file`);
  }
  assert.equal(await readFile(join(deployment.dir, "elsewhere"), "utf8").catch(() => "none"), "none", "nothing made through the link");
});

test("the lock belongs to the state directory: another state_dir runs alongside", async () => {
  const busy = await startBusyRun(demo.server, demo.deployment);
  try {
    const other = await makeDeployment(demo.server.url);
    try {
      assert.equal((await runBundle(["schoolserver.escuela2.caacupe.paraguayeduca.org"], other)).code, 0);
    } finally {
      await other.remove();
    }
  } finally {
    busy.kill("SIGKILL");
  }
});

test("the bundle runs with no node_modules anywhere near it", async () => {
  const alone = await mkdtemp(join(tmpdir(), "leasegen-bundle-"));
  try {
    await cp(join(ROOT, "dist"), join(alone, "lib"), { recursive: true });
    demo.server.dataset.schools = syntheticDataset(40, 2).schools;
    demo.server.dataset.stolen = [];
    const result = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [join(alone, "lib", "index.js"), "--config", demo.deployment.configPath], {
        cwd: alone,
        stdio: "ignore",
      });
      child.on("close", resolve);
    });
    assert.equal(result, 0);
    assert.equal([...(await readTree(demo.deployment.leasesDir)).keys()].filter((p) => p.startsWith("by-laptop/")).length, 40);
  } finally {
    await rm(alone, { recursive: true, force: true });
  }
});

test("a private key readable by others is warned about on every run; group-readable (0640) is not", async () => {
  await chmod(`${demo.deployment.keyPath}.private`, 0o644);
  for (let i = 0; i < 2; i += 1) {
    const result = await runBundle([], demo.deployment);
    assert.equal(result.code, 0, "a warning, not a failure");
    assert.match(result.stderr, /lease\.private can be read by other users/);
  }
  assert.ok(
    (await readLog(demo.deployment)).some((line) => line["level"] === "warn" && /can be read by other users/.test(String(line["msg"]))),
  );
  await chmod(`${demo.deployment.keyPath}.private`, 0o640);
  const quiet = await runBundle([], demo.deployment);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stderr, "");
});

test("on a terminal a good run ends with a one-line summary; without one it prints nothing", async () => {
  const quiet = await runBundle([], demo.deployment);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.stdout + quiet.stderr, "");
  // script(1) gives the program a pseudo-terminal, as an operator's shell would.
  const command = [process.execPath, BUNDLE, "--config", demo.deployment.configPath].map((arg) => `'${arg}'`).join(" ");
  const tty = await runCommand("script", ["-qec", command, "/dev/null"]);
  assert.equal(tty.code, 0, tty.stdout);
  // Without the progress line drawn (and erased) on stderr meanwhile (test/e2e/progress.test.ts).
  // eslint-disable-next-line no-control-regex -- the terminal's escape sequence is the point
  const summary = tty.stdout.replace(/\r[^\r\n\u001b]*\u001b\[K/g, "");
  assert.match(summary, /^0 schools regenerated, 3 up to date, 0 failed; 0 leases signed in \d+\.\d s\r?\n$/);
});
