// Issue 15 §1 through the bundle: a run writes into leases_dir, state_dir and metrics_file's
// directory only if no account but the service user and root can steer its writes there (plant a
// link at write-file-atomic's predictable temporary name, or swap a directory on the way). An
// unsafe one stops the run before anything is written: exit 2, one line naming it and why.
// Other accounts are uids of no account (chown needs root, as CI has).
import assert from "node:assert/strict";
import { chmod, chown, lchown, mkdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { BUNDLE, readTree, runBundle, runCommand, useDemoDeployment, type Deployment } from "../support/harness.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const NEEDS_ROOT = process.getuid?.() === 0 ? false : "needs root (makes directories another account owns)";
const OTHER = 54321;
const SERVICE = 54320;

const demo = useDemoDeployment();
const at = (name: string): string => join(demo.deployment.dir, name);

/** A directory at `path` with this owner and mode (chmod after mkdir: the umask does not apply). */
async function directory(path: string, mode = 0o755, uid = 0): Promise<string> {
  await mkdir(path, { recursive: true });
  await chown(path, uid, 0);
  await chmod(path, mode);
  return path;
}

/** The run stops with exit 2 and exactly this line, before writing anything. */
async function assertRefused(deployment: Deployment, line: string, args: string[] = []): Promise<void> {
  const before = await readTree(deployment.dir);
  const result = await runBundle(args, deployment);
  assert.equal(result.code, 2, shown(result));
  assert.deepEqual(stderrLines(result), [`inventario-leasegen: ${line}`]);
  assert.deepEqual(await readTree(deployment.dir), before, "something was written");
}

async function assertRuns(deployment: Deployment): Promise<void> {
  const result = await runBundle([], deployment);
  assert.equal(result.code, 0, shown(result));
}

test(
  "metrics_file in a group-writable directory (the README's old set-up), or a world-writable one: exit 2 naming it",
  { skip: NEEDS_ROOT },
  async () => {
    const textfiles = await directory(at("textfile_collector"), 0o775);
    await chown(textfiles, 0, 4242); // nrpe's group, say
    await demo.deployment.writeConfig({ metrics_file: join(textfiles, "inventario-leasegen.prom") });
    const unsafe = `unsafe metrics_file's directory ${textfiles}: ${textfiles}`;
    const plant = "another account could plant links where the program writes";
    await assertRefused(demo.deployment, `${unsafe} is writable by its group (mode 0775) and not sticky: ${plant}`);
    await chmod(textfiles, 0o757);
    await assertRefused(demo.deployment, `${unsafe} is writable by others (mode 0757) and not sticky: ${plant}`);
    await assertRefused(demo.deployment, `${unsafe} is writable by others (mode 0757) and not sticky: ${plant}`, ["--force"]);

    // The README's set-up: the service user's directory, readable by node_exporter.
    await chmod(textfiles, 0o755);
    await assertRuns(demo.deployment);
    assert.match(await readFile(join(textfiles, "inventario-leasegen.prom"), "utf8"), /^leasegen_last_run_exit_status 0$/m);
  },
);

test("leases_dir or state_dir another account owns or can write, or reached through one, is refused", { skip: NEEDS_ROOT }, async () => {
  const { deployment } = demo;
  const cases: [what: string, arrange: () => Promise<string>][] = [
    [
      "leases_dir owned by another account",
      async () => {
        await directory(deployment.leasesDir, 0o755, OTHER);
        return `unsafe leases_dir ${deployment.leasesDir}: ${deployment.leasesDir} is owned by uid ${OTHER}, not by root or the service user (uid 0)`;
      },
    ],
    [
      "state_dir writable by its group",
      async () => {
        await directory(deployment.stateDir, 0o775);
        return `unsafe state_dir ${deployment.stateDir}: ${deployment.stateDir} is writable by its group (mode 0775) and not sticky: another account could plant links where the program writes`;
      },
    ],
    [
      "a world-writable directory, not sticky, on the way",
      async () => {
        const shared = await directory(at("shared"), 0o777);
        await directory(join(shared, "leases"));
        await deployment.writeConfig({ leases_dir: join(shared, "leases") });
        return `unsafe leases_dir ${shared}/leases: ${shared} is writable by its group and others (mode 0777): another account could replace what lies under it`;
      },
    ],
    [
      "a group-writable ancestor",
      async () => {
        await directory(deployment.leasesDir);
        await chmod(deployment.dir, 0o770);
        return `unsafe leases_dir ${deployment.leasesDir}: ${deployment.dir} is writable by its group (mode 0770): another account could replace what lies under it`;
      },
    ],
    [
      "a link another account owns on the way",
      async () => {
        await directory(at("real-state"));
        await symlink(at("real-state"), deployment.stateDir);
        await lchown(deployment.stateDir, OTHER, 0);
        return `unsafe state_dir ${deployment.stateDir}: ${deployment.stateDir} is owned by uid ${OTHER}, not by root or the service user (uid 0)`;
      },
    ],
    [
      "root's link to a directory another account owns",
      async () => {
        await directory(at("theirs"), 0o755, OTHER);
        await symlink(at("theirs"), deployment.leasesDir);
        return `unsafe leases_dir ${deployment.leasesDir}: ${at("theirs")} is owned by uid ${OTHER}, not by root or the service user (uid 0)`;
      },
    ],
    [
      "not there yet, to be made in a sticky world-writable directory",
      async () => {
        const sticky = await directory(at("sticky"), 0o1777);
        await deployment.writeConfig({ state_dir: join(sticky, "state") });
        return `unsafe state_dir ${sticky}/state: it does not exist, and ${sticky}, where it would be created, is writable by its group and others (mode 1777): another account could create it first`;
      },
    ],
  ];
  for (const [what, arrange] of cases) {
    await runCommand("rm", ["-rf", deployment.leasesDir, deployment.stateDir, at("shared"), at("real-state"), at("theirs"), at("sticky")]);
    await chmod(deployment.dir, 0o700);
    await deployment.writeConfig();
    const line = await arrange();
    await assertRefused(deployment, line).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
  }
});

test(
  "a sticky world-writable directory on the way (like /tmp), root's links, and missing directories in safe ones pass",
  { skip: NEEDS_ROOT },
  async () => {
    const sticky = await directory(at("tmp"), 0o1777);
    const leases = await directory(join(sticky, "leases"));
    await directory(at("disk/state"));
    await symlink(at("disk/state"), at("state-link"));
    await demo.deployment.writeConfig({ leases_dir: leases, state_dir: at("state-link") });
    await assertRuns(demo.deployment);
    assert.ok((await readTree(leases)).has("stolen.list"));

    // Written into, a world-writable sticky directory is safe only where the kernel guards it.
    await chmod(leases, 0o1777);
    const kernel = async (name: string): Promise<boolean> => Number(await readFile(`/proc/sys/fs/${name}`, "utf8")) >= 1;
    const off = [
      (await kernel("protected_symlinks")) || "fs.protected_symlinks",
      (await kernel("protected_regular")) || "fs.protected_regular",
    ];
    const unguarded = off.filter((name) => name !== true);
    if (unguarded.length === 0) await assertRuns(demo.deployment);
    else
      await assertRefused(
        demo.deployment,
        `unsafe leases_dir ${leases}: ${leases} is writable by its group and others (mode 1777) and the kernel's ${unguarded.join(" and ")} ${unguarded.length === 1 ? "is" : "are"} off: another account could plant links where the program writes`,
      );
  },
);

test(
  "as the service user: its own directories pass, another account's do not (the owner is checked against the run's uid)",
  { skip: NEEDS_ROOT },
  async () => {
    const { deployment } = demo;
    await chmod(deployment.dir, 0o755);
    await chown(`${deployment.keyPath}.private`, SERVICE, SERVICE);
    for (const dir of [deployment.leasesDir, deployment.stateDir]) await directory(dir, 0o755, SERVICE);
    const asService = (): ReturnType<typeof runCommand> =>
      runCommand("setpriv", [
        `--reuid=${SERVICE}`,
        `--regid=${SERVICE}`,
        "--clear-groups",
        process.execPath,
        BUNDLE,
        "--config",
        deployment.configPath,
      ]);
    const own = await asService();
    assert.equal(own.code, 0, shown(own));
    await chown(deployment.stateDir, OTHER, OTHER);
    const theirs = await asService();
    assert.equal(theirs.code, 2, shown(theirs));
    assert.deepEqual(stderrLines(theirs), [
      `inventario-leasegen: unsafe state_dir ${deployment.stateDir}: ${deployment.stateDir} is owned by uid ${OTHER}, not by root or the service user (uid ${SERVICE})`,
    ]);
  },
);
