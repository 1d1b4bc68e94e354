// The RPM, as an operator gets it: `make rpm` builds it, rpmlint finds no error, its files,
// markings, requirements and scripts are those of the installed layout (SPEC section 8), and
// the bundle extracted from it runs, with no node_modules anywhere, against the test inventario
// and writes leases that verify with the public key. Needs rpmbuild, rpmlint, rpm2cpio and cpio
// (`make check` installs them as root, packaging/install-test-deps.sh): without them this test
// fails, it does not skip. The tests that create a throwaway system user or run the launcher as
// root need root (CI runs as root); as another user they are reported as skipped.
import { spawnSync } from "node:child_process";
import { constants, verify, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AS_ROOT, NEEDS_ROOT, addUser, removeUser, throwawayName } from "../support/accounts.js";
import { demoDataset } from "../support/datasets.js";
import { ROOT, publicKeyOf, readTree, runCommand, type RunResult } from "../support/harness.js";
import { startInventario, type TestInventario } from "../support/inventario-server.js";
import { copyVectorKey } from "../support/keys.js";

const NAME = "inventario-leasegen";
const APP = `/var/${NAME}`;
/** The settings at the top of the installed launcher: what it runs, how, and as whom. */
const LAUNCHER_SETTINGS = { node: "/usr/bin/node", bundle: `${APP}/lib/index.js`, service_user: NAME, node_option: "--optimize-for-size" };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env ?? process.env,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (result.error) assert.fail(`${command}: ${result.error.message} (packaging/install-test-deps.sh installs it)`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = run(command, args, options);
  assert.equal(result.status, 0, `${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

interface PackagedFile {
  mode: string;
  user: string;
  group: string;
  flags: string;
}

describe("the RPM", () => {
  let rpmPath = "";
  let version = "";
  let root = "";
  let files = new Map<string, PackagedFile>();

  before(async () => {
    version = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    const lines = ok("make", ["--no-print-directory", "rpm"]).trim().split("\n");
    rpmPath = join(ROOT, lines[lines.length - 1] ?? "");
    assert.match(rpmPath, new RegExp(`/dist/${NAME}-${version.replace(/\./g, "\\.")}-\\d+[^/]*\\.noarch\\.rpm$`), "the path printed last");
    assert.ok(existsSync(rpmPath), rpmPath);
    const query = "[%{FILENAMES}\\t%{FILEMODES:octal}\\t%{FILEUSERNAME}\\t%{FILEGROUPNAME}\\t%{FILEFLAGS:fflags}\\n]";
    files = new Map(
      ok("rpm", ["-qp", "--qf", query, rpmPath])
        .trim()
        .split("\n")
        .map((line) => {
          const [path = "", mode = "", user = "", group = "", flags = ""] = line.split("\t");
          return [path, { mode: mode.slice(-4).padStart(4, "0"), user, group, flags }];
        }),
    );
    root = await mkdtemp(join(tmpdir(), "leasegen-rpm-root-"));
    // The throwaway service user of the root tests reads the extracted program from here.
    await chmod(root, 0o755);
    ok("sh", ["-c", 'rpm2cpio "$1" | cpio -idm --quiet --no-absolute-filenames', "sh", rpmPath], { cwd: root });
  });

  after(() => (root ? rm(root, { recursive: true, force: true }) : undefined));

  it("is noarch, of package.json's version, and lints without errors", () => {
    assert.equal(ok("rpm", ["-qp", "--qf", "%{NAME} %{VERSION} %{ARCH}", rpmPath]), `${NAME} ${version} noarch`);
    const lint = run("rpmlint", ["-c", "rpm/rpmlint.toml", rpmPath, `rpm/${NAME}.spec`]);
    const output = lint.stdout + lint.stderr;
    assert.match(output, / 0 errors, \d+ warnings/, output);
    assert.doesNotMatch(output, /: E: /, output);
    // Every warning left is justified in the spec's header comment.
    const header = readSpecHeader();
    for (const [, id] of output.matchAll(/: W: (\S+)/g))
      assert.ok(header.includes(id ?? ""), `rpmlint warning ${id} is not justified in the spec`);
  });

  it("installs the layout of SPEC section 8 with the right owners, modes and config markings", () => {
    const expect = (path: string, mode: string, user: string, group: string, flags = ""): void => {
      const file = files.get(path);
      assert.ok(file, `${path} is not in the package`);
      assert.deepEqual(file, { mode, user, group, flags }, path);
    };
    expect(`/usr/bin/${NAME}`, "0755", "root", "root");
    expect(`${APP}/lib`, "0755", "root", "root");
    expect(`${APP}/lib/index.js`, "0644", "root", "root");
    expect(`${APP}/etc/leasegen.conf.example`, "0644", "root", "root");
    expect(`${APP}/etc/leasegen.conf`, "0640", "root", NAME, "cng");
    expect(`${APP}/var`, "0755", NAME, NAME);
    expect("/var/lib/xo-activations", "0755", NAME, NAME);
    expect(`/etc/cron.d/${NAME}`, "0644", "root", "root", "cn");
    expect(`/etc/logrotate.d/${NAME}`, "0644", "root", "root", "cn");
    expect(`/usr/lib/systemd/system/${NAME}.service`, "0644", "root", "root");
    expect(`/usr/lib/systemd/system/${NAME}.timer`, "0644", "root", "root");
    const licences = [...files.keys()].filter((path) => files.get(path)?.flags === "l").map((path) => path.replace(/.*\//, ""));
    assert.deepEqual(licences.sort(), ["COPYING", "THIRD-PARTY-LICENSES"]);
    // Every file ncc emitted, and nothing else (dist/ also holds RPMs from earlier builds).
    const bundle = [...files.keys()].filter((path) => path.startsWith(`${APP}/lib/`)).map((path) => path.slice(`${APP}/lib/`.length));
    const emitted = ok("sh", ["-c", "cd dist && ls *.js"]).trim().split("\n");
    assert.deepEqual(bundle.sort(), emitted.sort());
    assert.equal(
      ok("rpm", ["-qp", "--configfiles", rpmPath]).trim().split("\n").sort().join("\n"),
      [`/etc/cron.d/${NAME}`, `/etc/logrotate.d/${NAME}`, `${APP}/etc/leasegen.conf`].join("\n"),
    );
  });

  it("ships the Prometheus alert rules, which promtool accepts, and the guides in docs/ beside the README", async () => {
    const rules = `/usr/share/${NAME}/prometheus/${NAME}.rules.yml`;
    assert.deepEqual(files.get(rules), { mode: "0644", user: "root", group: "root", flags: "" }, `${rules} in the package`);
    assert.deepEqual(await readFile(join(root, rules)), await readFile(join(ROOT, "packaging", `${NAME}.rules.yml`)));
    ok("promtool", ["check", "rules", join(root, rules)]);
    const guides = (await readdir(join(ROOT, "docs"))).filter((name) => name.endsWith(".md"));
    assert.ok(guides.length >= 9, guides.join(" "));
    // Fedora's rpm names the directory after the package, Debian's adds the version.
    const docDir = [...files.keys()].find((path) => new RegExp(`^/usr/share/doc/${NAME}(-${version})?$`).test(path));
    assert.ok(docDir, "the package has a doc directory");
    for (const path of [`${docDir}/README.md`, ...guides.map((name) => `${docDir}/docs/${name}`)])
      assert.equal(files.get(path)?.flags, "d", `${path} is a %doc file of the package`);
  });

  it("requires Node.js 20, bios-crypto, crontabs and logrotate, and what %pre uses", () => {
    const requires = ok("rpm", ["-qp", "--qf", "[%{REQUIREFLAGS:deptype} %{REQUIRENEVRS}\\n]", rpmPath]).split("\n");
    const has = (pattern: RegExp): void =>
      assert.ok(
        requires.some((line) => pattern.test(line)),
        `${pattern} in\n${requires.join("\n")}`,
      );
    has(/^manual nodejs >= 1:20(\.\d+)*$/);
    has(/^manual \/usr\/bin\/node$/);
    has(/^manual bios-crypto$/);
    has(/^manual crontabs$/);
    has(/^manual logrotate$/);
    has(/^manual \/usr\/bin\/setpriv$/);
    has(/^manual \/usr\/bin\/getent$/);
    has(/^manual \/usr\/bin\/flock$/);
    has(/^pre shadow-utils$/);
  });

  it("declares the service user in its sysusers.d file, applied by %pre, and leaves the timer disabled", async () => {
    const sysusers = `/usr/lib/sysusers.d/${NAME}.conf`;
    assert.deepEqual(files.get(sysusers), { mode: "0644", user: "root", group: "root", flags: "" }, `${sysusers} in the package`);
    const declared = (await readFile(join(root, sysusers), "utf8")).split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    // A system user (automatic id) with a group of its name, its home the program's directory, no login shell.
    assert.deepEqual(declared, [`u ${NAME} - "OLPC activation lease generator" ${APP} /sbin/nologin`]);
    const pre = preScriptlet(rpmPath).replace(/\\\n\s*/g, "");
    assert.match(pre, new RegExp(`getent group '?${NAME}'? >/dev/null \\|\\| groupadd -r '?${NAME}'?$`, "m"));
    const useradd = `useradd -r -g '?${NAME}'? -d '?${APP}'? -s '?/sbin/nologin'? -c '?OLPC activation lease generator'? '?${NAME}'?`;
    assert.match(pre, new RegExp(`^getent passwd '?${NAME}'? >/dev/null \\|\\| +${useradd}$`, "m"));
    // The post-install script only applies presets (Fedora's default preset: disabled).
    assert.doesNotMatch(ok("rpm", ["-qp", "--scripts", rpmPath]), /systemctl[^\n]* enable/);
  });

  it("creates that user and group with %pre, once, where rpm does not", { skip: NEEDS_ROOT }, async () => {
    // The scriptlet as shipped, for a throwaway name instead of the real one.
    const name = throwawayName("pre");
    const script = preScriptlet(rpmPath).replaceAll(`'${NAME}'`, `'${name}'`);
    assert.ok(!script.includes(`'${NAME}'`), script);
    try {
      for (let i = 0; i < 2; i += 1) assert.equal(run("sh", ["-c", script]).status, 0, "the scriptlet fails, the first time or the second");
      const [, , uid = "", gid = "", gecos, home, shell] = ok("getent", ["passwd", name]).trim().split(":");
      assert.deepEqual([gecos, home, shell], ["OLPC activation lease generator", APP, "/sbin/nologin"]);
      assert.ok(Number(uid) < 1000, `uid ${uid} is not a system uid`);
      assert.equal(ok("getent", ["group", name]).split(":")[2], gid, "the user's group is the group of its name");
    } finally {
      removeUser(name);
    }
  });

  it("schedules the launcher as the service user, silently doing nothing without leasegen.conf", async () => {
    const cron = await readFile(join(root, "etc", "cron.d", NAME), "utf8");
    const jobs = cron.split("\n").filter((line) => /^[\d*]/.test(line));
    assert.equal(jobs.length, 1, cron);
    const fields = (jobs[0] ?? "").split(/\s+/);
    assert.deepEqual(fields.slice(0, 5), ["7-59/15", "*", "*", "*", "*"]);
    assert.equal(fields[5], NAME);
    const command = fields.slice(6).join(" ");
    assert.match(command, new RegExp(`^test -e ${APP}/etc/leasegen\\.conf && .*/usr/bin/${NAME}$`));
    assert.doesNotMatch(cron, /^[^#]*%/m, "an unescaped % ends a cron command");
    // The job's command line, on a host without the configuration: no output, nothing run.
    assert.ok(!existsSync(`${APP}/etc/leasegen.conf`));
    const silent = run("sh", ["-c", command]);
    assert.equal(silent.stdout + silent.stderr, "");

    // What the launcher runs, as whom: the installed values (the root tests below replace them).
    const launcher = await readFile(join(root, "usr", "bin", NAME), "utf8");
    for (const [variable, value] of Object.entries(LAUNCHER_SETTINGS))
      assert.ok(launcher.split("\n").includes(`${variable}=${value}`), variable);
    ok("sh", ["-n", join(root, "usr", "bin", NAME)]);
  });

  describe("the launcher, started as root", () => {
    const user = throwawayName("run");
    let dir = "";
    let fakeNode = "";
    // A stand-in for node that says who runs it and with which arguments, one per line.
    const whoRuns = async (launcher: string, args: readonly string[]): Promise<{ as: string; args: string[]; result: RunResult }> => {
      const result = await runCommand("sh", [launcher, ...args]);
      const [as = "", ...rest] = result.stdout.split("\n").slice(0, -1);
      return { as, args: rest, result };
    };

    before(async () => {
      if (!AS_ROOT) return;
      addUser(user);
      dir = await mkdtemp(join(root, "launcher-"));
      await chmod(dir, 0o755);
      fakeNode = join(dir, "node");
      await writeFile(fakeNode, '#!/bin/sh\nid -un\nprintf "%s\\n" "$@"\n', { mode: 0o755 });
    });
    after(() => (AS_ROOT ? removeUser(user) : undefined));

    it(
      "goes on as the service user for a run, and as the caller for help, the version and the read or export commands",
      { skip: NEEDS_ROOT },
      async () => {
        const launcher = await launcherWith(root, dir, { node: fakeNode, service_user: user });
        const asService = [
          [],
          ["--force"],
          ["--dry-run", "a.example.org,b.example.org"],
          ["-c", "/x.conf", "a.example.org"],
          ["--config", "status"],
          ["-c", "export"],
        ];
        const asCaller = [
          ["--help"],
          ["-h"],
          ["--version"],
          ["-V"],
          ["--force", "--help"],
          ["help"],
          ["status"],
          ["verify"],
          ["export", "/media/usb stick"],
          ["keygen"],
          ["-c", "/x.conf", "export", "/media/usb"],
          ["--config", "/x.conf", "status"],
          ["--config=/x.conf", "verify"],
          ["--", "export", "/media/usb"],
        ];
        for (const [args, as] of [...asService.map((a) => [a, user] as const), ...asCaller.map((a) => [a, "root"] as const)]) {
          const seen = await whoRuns(launcher, args);
          assert.equal(seen.result.code, 0, seen.result.stderr);
          assert.deepEqual(
            seen,
            { as, args: [LAUNCHER_SETTINGS.node_option, LAUNCHER_SETTINGS.bundle, ...args], result: seen.result },
            args.join(" "),
          );
        }
      },
    );

    it(
      "refuses a run in one line with exit 2 when the service user does not exist, and still answers --version",
      { skip: NEEDS_ROOT },
      async () => {
        const missing = throwawayName("none");
        assert.notEqual(run("getent", ["passwd", missing]).status, 0);
        const launcher = await launcherWith(root, dir, { node: fakeNode, service_user: missing });
        const refused = await whoRuns(launcher, ["--force"]);
        assert.equal(refused.result.code, 2);
        assert.equal(refused.result.stdout, "");
        assert.match(refused.result.stderr, new RegExp(`^inventario-leasegen: the service user ${missing} does not exist[^\n]*\n$`));
        assert.equal((await whoRuns(launcher, ["--version"])).as, "root");
      },
    );
  });

  it("rotates the log weekly, compressed, for months, recreating it for the service user", async () => {
    const conf = await readFile(join(root, "etc", "logrotate.d", NAME), "utf8");
    assert.match(conf, new RegExp(`^${APP}/var/leasegen\\.log \\{$`, "m"));
    for (const directive of ["weekly", "compress", "missingok", "notifempty", `create 0640 ${NAME} ${NAME}`, `su ${NAME} ${NAME}`])
      assert.match(conf, new RegExp(`^\\s+${directive}$`, "m"), directive);
    const rotate = Number(/^\s+rotate (\d+)$/m.exec(conf)?.[1]);
    assert.ok(rotate >= 8 && rotate <= 60, `rotate ${rotate}`);
  });

  it("ships a oneshot service run as the service user and a 15-minute timer", async () => {
    const unitDir = join(root, "usr", "lib", "systemd", "system");
    const service = await readFile(join(unitDir, `${NAME}.service`), "utf8");
    for (const line of ["Type=oneshot", `User=${NAME}`, `ExecStart=/usr/bin/${NAME}`, `ConditionPathExists=${APP}/etc/leasegen.conf`])
      assert.match(service, new RegExp(`^${line}$`, "m"));
    const timer = await readFile(join(unitDir, `${NAME}.timer`), "utf8");
    assert.match(timer, /^OnCalendar=\*:07\/15$/m);
    assert.match(timer, /^WantedBy=timers\.target$/m);
  });

  describe("the extracted bundle, with no node_modules anywhere", () => {
    let inventario: TestInventario | undefined;
    before(async () => {
      inventario = await startInventario(demoDataset());
    });
    after(() => inventario?.close());
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_PATH;

    /** The shipped example, with the four required keys filled in and the paths moved to `dir`. */
    async function configure(dir: string): Promise<{ configPath: string; keyPath: string; leasesDir: string; stateDir: string }> {
      assert.ok(inventario);
      const keyPath = await copyVectorKey(await mkdtemp(join(dir, "keys-")));
      const values: Record<string, string> = { user: "test", pass: "xxx", site: inventario.url, signing_key_path: keyPath };
      const example = await readFile(join(root, APP, "etc", "leasegen.conf.example"), "utf8");
      const config = example.replace(/^(user|pass|site|signing_key_path) = .*$/gm, (_line, key: string) => `${key} = "${values[key]}"`);
      assert.notEqual(config, example);
      const configPath = join(dir, "leasegen.conf");
      const leasesDir = join(dir, "deployment", "leases");
      const stateDir = join(dir, "deployment", "var");
      await writeFile(configPath, `${config}leases_dir = "${leasesDir}"\nstate_dir = "${stateDir}"\nhttp_timeout = "10"\n`);
      return { configPath, keyPath, leasesDir, stateDir };
    }

    it("signs valid leases for every laptop of the test inventario", async () => {
      assert.ok(inventario);
      const lib = join(root, APP, "lib");
      for (let dir = lib; dir !== dirname(dir); dir = dirname(dir))
        assert.ok(!existsSync(join(dir, "node_modules")), `${dir}/node_modules`);
      // Asynchronously: the test inventario answers from this process.
      const node = (args: string[]): Promise<RunResult> =>
        runCommand(process.execPath, [join(lib, "index.js"), ...args], { cwd: lib, env });
      assert.equal((await node(["--version"])).stdout.trim(), version);

      const { configPath, keyPath, leasesDir, stateDir } = await configure(await mkdtemp(join(root, "bundle-")));
      const result = await node(["--config", configPath]);
      assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
      const leases = await readTree(leasesDir);
      const publicKey = await publicKeyOf(keyPath);
      const keyId = (await readFile(`${keyPath}.public`)).subarray(-32).toString("hex");
      const uuids = new Map<string, Set<string>>();
      for (const school of demoDataset().schools.values())
        for (const { serial, uuid } of school.laptops) uuids.set(serial, (uuids.get(serial) ?? new Set()).add(uuid ?? ""));
      // A stolen laptop gets no lease.
      for (const { serial } of demoDataset().stolen) {
        assert.ok(!leases.has(join("by-laptop", serial.slice(-2), serial)), `stolen ${serial} got a lease`);
        uuids.delete(serial);
      }
      assert.ok(uuids.size > 5);
      for (const [serial, laptopUuids] of uuids) {
        const file = leases.get(join("by-laptop", serial.slice(-2), serial))?.toString("latin1");
        assert.ok(file, `no lease for ${serial}`);
        const lines = file.split(/(?<=\n)/);
        assert.equal(lines.length, laptopUuids.size, file);
        for (const line of lines) assert.ok(verifiesFor(line, serial, [...laptopUuids], keyId, publicKey), `${serial}: ${line}`);
      }
      for (const hostname of demoDataset().schools.keys()) assert.ok(leases.has(join("by-school", hostname)), hostname);
      assert.equal(leases.get("by-school/schoolserver.escuela3.caacupe.paraguayeduca.org")?.toString(), "[1,{}]");
      assert.equal(
        leases.get("stolen.list")?.toString(),
        demoDataset()
          .stolen.map((l) => `${l.serial}\n`)
          .join(""),
      );
      const log = await readFile(join(stateDir, "leasegen.log"), "utf8");
      assert.match(log, /^\S+Z INFO {2}run finished: /m, "the default log_format is text");
    });

    it(
      "run as root by the launcher, leaves every file it makes to the service user, whose cron runs go on",
      { skip: NEEDS_ROOT },
      async () => {
        const user = throwawayName("own");
        addUser(user);
        try {
          const [uid, gid] = [Number(ok("id", ["-u", user])), Number(ok("id", ["-g", user]))];
          const dir = await mkdtemp(join(root, "as-root-"));
          await chmod(dir, 0o755);
          const { configPath, keyPath, leasesDir, stateDir } = await configure(dir);
          // As the RPM installs them: the configuration and the key readable through the service
          // group, the two directories the service user's.
          for (const path of [configPath, `${keyPath}.private`]) {
            await chown(path, 0, gid);
            await chmod(path, 0o640);
          }
          await chmod(dirname(keyPath), 0o755);
          for (const path of [dirname(leasesDir), leasesDir, stateDir]) await mkdir(path, { recursive: true });
          for (const path of [leasesDir, stateDir]) await chown(path, uid, gid);

          const launcher = await launcherWith(root, dir, {
            node: process.execPath,
            bundle: join(root, APP, "lib", "index.js"),
            service_user: user,
          });
          const result = await runCommand("sh", [launcher, "--config", configPath], { env });
          assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
          const made = [...(await ownersUnder(leasesDir)), ...(await ownersUnder(stateDir))];
          assert.ok(made.some(({ path }) => path.includes("/by-laptop/")));
          assert.ok(made.some(({ path }) => path.endsWith("/leasegen.log")));
          for (const file of made) assert.deepEqual([file.uid, file.gid], [uid, gid], `${file.path} is not ${user}'s`);

          // The next run, as cron starts it (as the service user), may replace every file.
          const cronRun = await runCommand(
            "setpriv",
            [`--reuid=${uid}`, `--regid=${gid}`, "--init-groups", "sh", launcher, "--config", configPath, "--force"],
            { env },
          );
          assert.equal(cronRun.code, 0, `exit ${cronRun.code}: ${cronRun.stderr}`);
        } finally {
          removeUser(user);
        }
      },
    );
  });
});

/** A copy of the extracted launcher in `dir`, with some of its settings replaced, byte for byte otherwise. */
async function launcherWith(root: string, dir: string, settings: Partial<typeof LAUNCHER_SETTINGS>): Promise<string> {
  let text = await readFile(join(root, "usr", "bin", NAME), "utf8");
  for (const [variable, value] of Object.entries(settings)) {
    const line = new RegExp(`^${variable}=.*$`, "m");
    assert.match(text, line, variable);
    text = text.replace(line, `${variable}=${value}`);
  }
  const launcherDir = await mkdtemp(join(dir, "launcher-"));
  await chmod(launcherDir, 0o755);
  const path = join(launcherDir, NAME);
  await writeFile(path, text, { mode: 0o755 });
  return path;
}

/** Every directory and file under `dir` (itself included), with its owner. */
async function ownersUnder(dir: string): Promise<{ path: string; uid: number; gid: number }[]> {
  const paths = [dir, ...(await readdir(dir, { recursive: true })).map((name) => join(dir, name))];
  return Promise.all(
    paths.map(async (path) => {
      const { uid, gid } = await lstat(path);
      return { path, uid, gid };
    }),
  );
}

/** The package's %pre scriptlet, as rpm shows it. */
function preScriptlet(rpmPath: string): string {
  const scripts = ok("rpm", ["-qp", "--scripts", rpmPath]);
  return /^preinstall scriptlet[^\n]*\n([\s\S]*?)\n(?:[a-z]+ scriptlet \(|$)/.exec(scripts)?.[1] ?? "";
}

function readSpecHeader(): string {
  const spec = spawnSync("sed", ["-n", "1,/^Name:/p", join(ROOT, "rpm", `${NAME}.spec`)], { encoding: "utf8" }).stdout;
  return spec;
}

/** True when `line` is `act01: <SN> K <EXPIRY> sig01: sha256 <KEYID> <SIG>\n` signed for one of the UUIDs. */
function verifiesFor(line: string, serial: string, uuids: readonly string[], keyId: string, key: KeyObject): boolean {
  const match = /^act01: (\S{11}) K (\d{8}T\d{6}Z) sig01: sha256 ([0-9a-f]{64}) ([0-9a-f]{512})\n$/.exec(line);
  if (!match || match[1] !== serial || match[3] !== keyId) return false;
  const signature = Buffer.from(match[4] ?? "", "hex");
  return uuids.some((uuid) =>
    verify(
      "sha256",
      Buffer.from(`${serial}:${uuid}:K:${match[2]}`),
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8 },
      signature,
    ),
  );
}
