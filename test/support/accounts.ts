// Throwaway system users, for the tests about the service user and about another account on the
// same host (creating them needs root, which CI has; as another user those tests are skipped).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, chown, mkdir } from "node:fs/promises";
import type { Deployment } from "./harness.js";

export const AS_ROOT = process.getuid?.() === 0;
export const NEEDS_ROOT = AS_ROOT ? false : "needs root (creates a throwaway system user; CI runs as root)";

export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function run(command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error) assert.fail(`${command}: ${result.error.message} (packaging/install-test-deps.sh installs it)`);
  return result;
}

function ok(command: string, args: readonly string[]): string {
  const result = run(command, args);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A system user name no one else uses, for one test. */
export function throwawayName(purpose: string): string {
  return `lg-${purpose}-${process.pid}`;
}

/** A throwaway system user with a group of its name (remove it with removeUser). */
export function addUser(name: string, home = "/nonexistent"): Account {
  ok("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", name]);
  return { name, uid: Number(ok("id", ["-u", name])), gid: Number(ok("id", ["-g", name])) };
}

export function removeUser(name: string): void {
  run("userdel", [name]);
  if (run("getent", ["group", name]).status === 0) run("groupdel", [name]);
  assert.notEqual(run("getent", ["passwd", name]).status, 0, `${name} is still there`);
}

/** The command line prefix that runs a command as `account` (setpriv, util-linux). */
export function asUser(account: Account): string[] {
  return ["setpriv", `--reuid=${account.uid}`, `--regid=${account.gid}`, "--init-groups"];
}

/**
 * Hands a test deployment to a service user as the RPM installs one: the configuration and the
 * private key readable through its group (0640 root), leases_dir and state_dir its own (0755).
 */
export async function handOver(deployment: Deployment, service: Account): Promise<void> {
  await chmod(deployment.dir, 0o755);
  for (const path of [deployment.configPath, `${deployment.keyPath}.private`]) {
    await chown(path, 0, service.gid);
    await chmod(path, 0o640);
  }
  for (const dir of [deployment.leasesDir, deployment.stateDir]) {
    await mkdir(dir, { recursive: true });
    await chown(dir, service.uid, service.gid);
    await chmod(dir, 0o755);
  }
}
