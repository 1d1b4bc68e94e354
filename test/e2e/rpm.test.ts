// The RPM, as an operator gets it: `make rpm` builds it, rpmlint finds no error, its files,
// markings, requirements and scripts are those of the installed layout (SPEC section 8), and
// the bundle extracted from it runs, with no node_modules anywhere, against the test inventario
// and writes leases that verify with the public key. Needs rpmbuild, rpmlint, rpm2cpio and cpio
// (CI installs them): without them this test fails, it does not skip.
import { spawnSync } from "node:child_process";
import { constants, verify, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoDataset } from "../support/datasets.js";
import { ROOT, publicKeyOf, readTree, runCommand, type RunResult } from "../support/harness.js";
import { startInventario, type TestInventario } from "../support/inventario-server.js";
import { copyVectorKey } from "../support/keys.js";

const NAME = "inventario-leasegen";
const APP = `/var/${NAME}`;

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
  if (result.error) assert.fail(`${command}: ${result.error.message} (CI installs rpm, rpmlint, rpm2cpio and cpio)`);
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
    has(/^pre shadow-utils$/);
  });

  it("creates the service user in %pre with no login shell, and leaves the timer disabled", () => {
    const scripts = ok("rpm", ["-qp", "--scripts", rpmPath]);
    const pre = /preinstall scriptlet[^\n]*\n([\s\S]*?)\n(?:\S+ scriptlet|$)/.exec(scripts)?.[1] ?? "";
    assert.match(pre, new RegExp(`groupadd -r ${NAME}`));
    assert.match(pre.replace(/\\\n\s*/g, ""), new RegExp(`useradd -r -g ${NAME} -d ${APP} -s /sbin/nologin .*${NAME}$`, "m"));
    // The post-install script only applies presets (Fedora's default preset: disabled).
    assert.doesNotMatch(scripts, /systemctl[^\n]* enable/);
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

    const launcher = await readFile(join(root, "usr", "bin", NAME), "utf8");
    assert.match(launcher, new RegExp(`^exec /usr/bin/node ${APP}/lib/index\\.js "\\$@"$`, "m"));
    ok("sh", ["-n", join(root, "usr", "bin", NAME)]);
    if (process.getuid?.() === 0) {
      const refused = run("sh", [join(root, "usr", "bin", NAME), "--force"]);
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /runuser -u inventario-leasegen -- inventario-leasegen --force/);
    }
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

    it("signs valid leases for every laptop of the test inventario", async () => {
      assert.ok(inventario);
      const lib = join(root, APP, "lib");
      for (let dir = lib; dir !== dirname(dir); dir = dirname(dir))
        assert.ok(!existsSync(join(dir, "node_modules")), `${dir}/node_modules`);
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.NODE_PATH;
      // Asynchronously: the test inventario answers from this process.
      const node = (args: string[]): Promise<RunResult> =>
        runCommand(process.execPath, [join(lib, "index.js"), ...args], { cwd: lib, env });
      assert.equal((await node(["--version"])).stdout.trim(), version);

      // The shipped example, with the four required keys filled in and the paths moved.
      const deployment = join(root, "deployment");
      const keyPath = await copyVectorKey(await mkdtemp(join(root, "keys-")));
      const values: Record<string, string> = { user: "test", pass: "xxx", site: inventario.url, signing_key_path: keyPath };
      const example = await readFile(join(root, APP, "etc", "leasegen.conf.example"), "utf8");
      const config = example.replace(/^(user|pass|site|signing_key_path) = .*$/gm, (_line, key: string) => `${key} = "${values[key]}"`);
      assert.notEqual(config, example);
      const configPath = join(root, "leasegen.conf");
      await writeFile(configPath, `${config}leases_dir = "${deployment}/leases"\nstate_dir = "${deployment}/var"\nhttp_timeout = "10"\n`);

      const result = await node(["--config", configPath]);
      assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
      const leases = await readTree(join(deployment, "leases"));
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
      const log = await readFile(join(deployment, "var", "leasegen.log"), "utf8");
      assert.match(log, /^\S+Z INFO {2}run finished: /m, "the default log_format is text");
    });
  });
});

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
