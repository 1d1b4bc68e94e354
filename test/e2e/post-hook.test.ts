// post_hook through the bundle (issue 9 §2, issue 16 §6-7): called after a run that changed
// leases_dir, with the re-signed schools' names on its standard input and in a file, one per
// line, whether it is a script's path or a command line, while the lock is held; never after a
// run that changed nothing; a failing, hanging or unstartable hook makes the run's status 3.
import assert from "node:assert/strict";
import { appendFile, chmod, mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { laptop } from "../support/datasets.js";
import { BUNDLE, makeDeployment, readLog, runBundle, ROOT, useDemoDeployment, type Deployment } from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario } from "../support/inventario-server.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
const SCHOOL3 = "schoolserver.escuela3.caacupe.paraguayeduca.org";
/** What the hook may see besides LEASEGEN_*: what we pass on, and what sh sets itself. */
const ALLOWED_ENV = new Set(["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "PWD", "OLDPWD", "SHLVL", "_"]);

const demo = useDemoDeployment();
const records = (): string => join(demo.deployment.dir, "hook-calls");

/** Installs `body` as a script and configures its path as the hook (`post_hook = /path/to/script`). */
async function useHook(body: string, more: Record<string, string> = {}, deployment: Deployment = demo.deployment): Promise<void> {
  const script = join(deployment.dir, "hook.sh");
  await writeFile(script, `#!/bin/sh\n${body}\n`);
  await chmod(script, 0o755);
  await deployment.writeConfig({ post_hook: script, ...more });
}

interface HookCall {
  /** The hook's positional parameters: none. */
  readonly args: string[];
  /** What it read on its standard input, and in the two files the environment names. */
  readonly stdin: string;
  readonly changedFile: string;
  readonly removedFile: string;
  /** `<mode> <owner>` of the changed-schools file, then of its directory. */
  readonly modes: string[];
  readonly env: Map<string, string>;
  readonly pwd: string;
  /** Exit status of a run started from inside the hook: 1 while the lock is held. */
  readonly nestedRun: string;
}

async function hookCalls(): Promise<HookCall[]> {
  const names = (await readdir(records()).catch(() => [])).filter((name) => name.endsWith(".args")).sort();
  return Promise.all(
    names.map(async (name) => {
      const base = join(records(), name.slice(0, -".args".length));
      const text = (ext: string): Promise<string> => readFile(`${base}.${ext}`, "utf8");
      const lines = async (ext: string): Promise<string[]> => (await text(ext)).split("\n").slice(0, -1);
      const env = new Map((await lines("env")).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
      return {
        args: await lines("args"),
        stdin: await text("stdin"),
        changedFile: await text("changed"),
        removedFile: await text("removed"),
        modes: await lines("modes"),
        env,
        pwd: (await lines("pwd"))[0] ?? "",
        nestedRun: (await lines("nested"))[0] ?? "",
      };
    }),
  );
}

const RECORDING_HOOK = (): string => `
n=$(ls "${records()}" | grep -c args)
for arg in "$@"; do echo "$arg"; done > "${records()}/$n.args"
cat > "${records()}/$n.stdin"
cat "$LEASEGEN_CHANGED_SCHOOLS_FILE" > "${records()}/$n.changed"
cat "$LEASEGEN_REMOVED_SCHOOLS_FILE" > "${records()}/$n.removed"
stat -c '%a %U' "$LEASEGEN_CHANGED_SCHOOLS_FILE" "$(dirname "$LEASEGEN_CHANGED_SCHOOLS_FILE")" > "${records()}/$n.modes"
env > "${records()}/$n.env"
pwd > "${records()}/$n.pwd"
"${process.execPath}" "${BUNDLE}" --config "${demo.deployment.configPath}" >/dev/null 2>&1
echo $? > "${records()}/$n.nested"
echo "pushed $LEASEGEN_CHANGED_COUNT schools"
echo "warning: one server was slow" >&2`;

const lines = (names: readonly string[]): string => names.map((name) => `${name}\n`).join("");

test("a hook given as a path reads the changed schools on stdin and in a private file, under the lock, only after a change", async () => {
  await mkdir(records());
  await useHook(RECORDING_HOOK());
  // What a run killed (-9) while its hook ran leaves behind is removed by the next hook's run.
  const leftover = join(demo.deployment.stateDir, ".post-hook-Ab12Cd");
  await mkdir(leftover, { recursive: true });
  await writeFile(join(leftover, "changed-schools"), "old.example\n");
  const secretEnv = { LEASEGEN_TEST_SECRET: "s3cr3t", INVENTARIO_PASS: "xxx" };
  const first = await runBundle([], demo.deployment, secretEnv);
  assert.equal(first.code, 0, shown(first));
  assert.equal(first.stderr, "");
  let calls = await hookCalls();
  assert.equal(calls.length, 1);
  const call = calls[0] as HookCall;
  assert.deepEqual(call.args, []);
  assert.equal(call.stdin, lines([SCHOOL1, SCHOOL2, SCHOOL3]));
  assert.equal(call.changedFile, call.stdin);
  assert.equal(call.removedFile, "");
  assert.deepEqual(call.modes, ["600 root", "700 root"], "a file only the service user reads, in a directory only it enters");
  const changedPath = call.env.get("LEASEGEN_CHANGED_SCHOOLS_FILE") as string;
  assert.ok(changedPath.startsWith(`${demo.deployment.stateDir}/`), changedPath);
  await assert.rejects(stat(join(changedPath, "..")), /ENOENT/, "removed after the hook");
  await assert.rejects(stat(leftover), /ENOENT/, "a killed run's leftover is removed");
  assert.equal(call.env.get("LEASEGEN_LEASES_DIR"), demo.deployment.leasesDir);
  assert.equal(call.env.get("LEASEGEN_CHANGED_COUNT"), "3");
  assert.equal(call.env.get("LEASEGEN_REMOVED_COUNT"), "0");
  assert.equal(call.env.get("LEASEGEN_STOLEN_CHANGED"), "1");
  assert.equal(call.env.has("LEASEGEN_CHANGED_SCHOOLS"), false, "no list of names in the environment");
  const others = [...call.env.keys()].filter((name) => !name.startsWith("LEASEGEN_") && !ALLOWED_ENV.has(name));
  assert.deepEqual(others, [], "the environment is built, not inherited");
  assert.ok(![...call.env.values()].some((value) => value.includes("s3cr3t") || value.includes("xxx")), "no secret in the environment");
  assert.equal(call.pwd, demo.deployment.leasesDir);
  assert.equal(call.nestedRun, "1", "the run still held the lock while its hook ran");
  const logged = (await readLog(demo.deployment)).find((line) => line["action"] === "post_hook");
  assert.equal(logged?.["level"], "info");
  assert.equal(logged?.["stdout"], "pushed 3 schools\n");
  assert.equal(logged?.["stderr"], "warning: one server was slow\n");

  const unchanged = await runBundle([], demo.deployment);
  assert.equal(unchanged.code, 0, shown(unchanged));
  assert.equal((await hookCalls()).length, 1, "a run that changed nothing calls no hook");

  demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(laptop(30));
  const dry = await runBundle(["--dry-run"], demo.deployment);
  assert.equal(dry.code, 0, shown(dry));
  assert.equal((await hookCalls()).length, 1, "a dry run calls no hook");

  demo.server.dataset.schools.delete(SCHOOL3);
  const changed = await runBundle([], demo.deployment);
  assert.equal(changed.code, 0, shown(changed));
  calls = await hookCalls();
  assert.equal(calls.length, 2);
  assert.equal(calls[1]?.stdin, lines([SCHOOL2]));
  assert.equal(calls[1]?.changedFile, lines([SCHOOL2]));
  assert.equal(calls[1]?.removedFile, lines([SCHOOL3]));
  assert.equal(calls[1]?.env.get("LEASEGEN_REMOVED_COUNT"), "1");
  assert.equal(calls[1]?.env.get("LEASEGEN_STOLEN_CHANGED"), "0");

  demo.server.dataset.stolen.push({ serial: laptop(40).serial, uuid: laptop(40).uuid });
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  calls = await hookCalls();
  assert.equal(calls.length, 3, "rewritten stolen lists alone call the hook");
  assert.equal(calls[2]?.stdin, "");
  assert.equal(calls[2]?.env.get("LEASEGEN_CHANGED_COUNT"), "0");
  assert.equal(calls[2]?.env.get("LEASEGEN_STOLEN_CHANGED"), "1");
});

test("a hook given as a command line reads the same names on its standard input", async () => {
  const got = join(demo.deployment.dir, "got");
  await demo.deployment.writeConfig({ post_hook: `while IFS= read -r school; do echo "[$school]" >> ${got}; done` });
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  assert.equal(await readFile(got, "utf8"), `[${SCHOOL1}]\n[${SCHOOL2}]\n[${SCHOOL3}]\n`);
});

test('a post_hook still written for "$@" or LEASEGEN_CHANGED_SCHOOLS is refused at start (exit 2), saying what to write', async () => {
  for (const post_hook of ['for h in "$@"; do push "$h"; done', "push $LEASEGEN_CHANGED_SCHOOLS"]) {
    await demo.deployment.writeConfig({ post_hook });
    const result = await runBundle([], demo.deployment);
    assert.equal(result.code, 2, shown(result));
    assert.equal(stderrLines(result).length, 1, shown(result));
    assert.match(
      result.stderr,
      /post_hook uses .*, which no longer holds the hostnames: the hook reads the re-signed schools on its standard input/,
    );
    assert.equal((await readdir(demo.deployment.leasesDir).catch(() => [])).length, 0, "nothing signed");
  }
});

describe("10,000 schools of 60-character names changed at once", () => {
  // Well over what one environment string may hold (128 KiB): 10,000 names are 610 KB.
  const hostnames = Array.from({ length: 10_000 }, (_, i) =>
    i % 1000 === 7 ? `Escuela ${i} de la compañía ${"x".repeat(60)}`.slice(0, 60) : `school${String(i).padStart(5, "0")}.${"x".repeat(49)}`,
  );
  let server: TestInventario;
  let deployment: Deployment;
  before(async () => {
    const dataset = emptyDataset();
    for (const hostname of hostnames) dataset.schools.set(hostname, { laptops: [] });
    server = await startInventario(dataset);
    deployment = await makeDeployment(server.url);
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  test("the hook gets every name whole, one per line, on stdin and in its file", async () => {
    const got = join(deployment.dir, "got");
    // The README's example loop; names with spaces (as inventario may send) stay whole.
    await useHook(
      `while IFS= read -r school; do printf '%s\\n' "$school"; done > "${got}.stdin"; cp "$LEASEGEN_CHANGED_SCHOOLS_FILE" "${got}.file"`,
      {},
      deployment,
    );
    const result = await runBundle([], deployment);
    assert.equal(result.code, 0, shown(result));
    const expected = lines([...hostnames].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    assert.equal(await readFile(`${got}.stdin`, "utf8"), expected);
    assert.equal(await readFile(`${got}.file`, "utf8"), expected);
  });

  test("a hook that does not read its standard input ends well, and so does the run", async () => {
    // 1,500 names (90 KB) are more than a pipe holds: the hook exits with most of them unread.
    hostnames.slice(0, 1500).forEach((hostname, i) => server.dataset.schools.get(hostname)?.laptops.push(laptop(i)));
    await useHook("exit 0", {}, deployment);
    const result = await runBundle([], deployment);
    assert.equal(result.code, 0, shown(result));
    assert.equal(result.stderr, "");
    const logged = (await readLog(deployment)).filter((line) => line["action"] === "post_hook").at(-1);
    assert.equal(logged?.["msg"], "post_hook done");
    assert.equal(logged?.["changedSchools"], 1500);
  });
});

test("a failing hook: error on stderr and in the log with its output (bounded), exit 3, leases kept", async () => {
  await useHook(`head -c 100000 /dev/zero | tr '\\0' x; echo; echo "rsync: connection refused" >&2; exit 7`);
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 3, shown(result));
  assert.deepEqual(stderrLines(result), [
    'inventario-leasegen: post_hook exited with status 7: "rsync: connection refused" (its output is in the log)',
  ]);
  const logged = (await readLog(demo.deployment)).find((line) => line["action"] === "post_hook");
  assert.equal(logged?.["level"], "error");
  assert.equal(logged?.["stderr"], "rsync: connection refused\n");
  assert.equal((logged?.["stdout"] as string).length, 16 * 1024, "the end of its output, bounded");
  assert.equal(logged?.["outputDropped"], 100001 - 16 * 1024);
  const finished = (await readLog(demo.deployment)).find((line) => String(line["msg"]).startsWith("run finished"));
  assert.equal(finished?.["exitCode"], 3);
  const again = await runBundle([], demo.deployment);
  assert.equal(again.code, 0, `the leases were kept: nothing to redo, no hook: ${shown(again)}`);
});

test("a hanging hook is killed with everything it started after post_hook_timeout: exit 3", async () => {
  const pidFile = join(demo.deployment.dir, "background.pid");
  await useHook(`sleep 300 & echo $! > "${pidFile}"; sleep 300`, { post_hook_timeout: "1" });
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 3, shown(result));
  assert.deepEqual(stderrLines(result), ["inventario-leasegen: post_hook timed out after 1 s and was killed (its output is in the log)"]);
  const background = Number(await readFile(pidFile, "utf8"));
  // Gone, or a zombie waiting for init to reap it; SIGKILL may take a moment to land.
  const alive = async (): Promise<boolean> =>
    !/^\S+ \(.*\) Z/.test(await readFile(`/proc/${background}/stat`, "utf8").catch(() => "0 (gone) Z"));
  for (let i = 0; i < 100 && (await alive()); i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await alive(), false, "the hook's background process was killed too");
});

test("a hook that cannot be started: exit 3 with the reason", async () => {
  // Longer than one argument may be (MAX_ARG_STRLEN, 128 KiB): execve fails with E2BIG.
  await demo.deployment.writeConfig({ post_hook: `: ${"x".repeat(200_000)}` });
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 3, shown(result));
  assert.equal(stderrLines(result).length, 1, shown(result));
  assert.match(result.stderr, /^inventario-leasegen: post_hook could not be started: .*E2BIG/);
});

test("the rsync example of leasegen.conf.example copies each re-signed school's file to its server", async () => {
  const conf = await readFile(join(ROOT, "etc", "leasegen.conf.example"), "utf8");
  const example = conf.split("\n").find((line) => line.startsWith("#post_hook = ")) as string;
  const bin = join(demo.deployment.dir, "bin");
  const calls = join(demo.deployment.dir, "rsync-calls");
  await mkdir(bin);
  // Like rsync over ssh, it reads its standard input: the example must keep the list of names from it.
  const rsync = `#!/bin/sh\ncat > /dev/null\nfor arg in "$@"; do printf '%s|' "$arg"; done >> "${calls}"\necho >> "${calls}"\n`;
  await writeFile(join(bin, "rsync"), rsync);
  await chmod(join(bin, "rsync"), 0o755);
  await appendFile(demo.deployment.configPath, `${example.slice(1)}\n`);
  const result = await runBundle([], demo.deployment, { PATH: `${bin}:${process.env["PATH"] ?? ""}` });
  assert.equal(result.code, 0, shown(result));
  assert.deepEqual((await readFile(calls, "utf8")).split("\n"), [
    ...[SCHOOL1, SCHOOL2, SCHOOL3].map((h) => `-t|-e|ssh -o BatchMode=yes|by-school/${h}|leasegen@${h}:leases.sig|`),
    "",
  ]);
});
