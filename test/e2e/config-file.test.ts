// leasegen.conf through the bundle (issue 11 §5, §8, §11): values mean what the Ruby program's
// parser made of them (the test inventario checks the password's SHA-1, so a password read
// wrongly is a 401), a bad line never shows its value, and the configuration errors found at
// start (an empty value, a ca_file without a certificate, a bad HOSTS list) are one line, exit 2.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { leaseFiles, readTree, runBundle, ROOT, useDemoDeployment, type Deployment, type RunResult } from "../support/harness.js";

const demo = useDemoDeployment();

/** A complete configuration for the demo deployment, written line by line as given. */
async function writeLines(deployment: Deployment, ...lines: string[]): Promise<void> {
  const base = [
    'user = "test"',
    `site = "${demo.server.url}"`,
    `signing_key_path = "${deployment.keyPath}"`,
    `leases_dir = "${deployment.leasesDir}"`,
    `state_dir = "${deployment.stateDir}"`,
  ];
  await writeFile(deployment.configPath, [...base, ...lines, ""].join("\n"));
}

/** Exit 2 with exactly one line on stderr, naming the configuration file. */
function assertOneConfigLine(result: RunResult, message: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.split("\n").length, 2, `one line: ${result.stderr}`);
  assert.match(result.stderr, message);
}

test("the Ruby program's example file, filled in as its comments say, runs unchanged", async () => {
  const { deployment } = demo;
  const example = await readFile(join(ROOT, "test", "fixtures", "ruby-leasegen", "leasegen.conf.example"), "utf8");
  const filled = example
    .replace('user = "xxx"', 'user = "test"')
    .replace('site = "http://localhost:3000/"', `site = "${demo.server.url}"`)
    .replace('signing_key_path = "/home/foo/keys/lease"', `signing_key_path = "${deployment.keyPath}"`)
    .replace('#leases_dir = "/var/lib/xo-activations"', `leases_dir = "${deployment.leasesDir}"\nstate_dir = "${deployment.stateDir}"`);
  // As written, and as a Windows editor may save it: a BOM, CRLF, tabs around "=".
  for (const text of [filled, `\uFEFF${filled.replace(/ = /g, "\t=\t").replace(/\n/g, "\r\n")}`]) {
    await writeFile(deployment.configPath, text);
    const result = await runBundle(["--force"], deployment);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    assert.ok((await readTree(deployment.leasesDir)).has("by-school/schoolserver.escuela2.caacupe.paraguayeduca.org"));
  }
});

test("passwords are read literally, as the Ruby program read them: inventario accepts each", async () => {
  const cases: [string, string][] = [
    ['pass = "Clave\\tres"', "Clave\\tres"],
    ['pass = "C:\\new\\\\"', "C:\\new\\\\"],
    ['pass = "a\\"b#c;d=e"', 'a\\"b#c;d=e'],
    ['pass = "contraseña ñandú €"', "contraseña ñandú €"],
    ["pass = '12345'", "12345"],
    ["pass = abc#def ;ghi", "abc#def ;ghi"],
  ];
  for (const [line, password] of cases) {
    demo.server.dataset.pass = password;
    await writeLines(demo.deployment, line);
    const result = await runBundle([], demo.deployment);
    assert.equal(result.code, 0, `${line}: ${result.stderr}`);
  }
});

test("a bad line never shows its value, on stderr or in the log: only its line number and key part", async () => {
  const secret = "Tr0ub4dor&3";
  const cases: [string, RegExp][] = [
    [`pass: ${secret}`, /line 6: no "=" in this line \(expected key = value\)$/m],
    [`pass ${secret}`, /line 6: no "=" in this line \(expected key = value\)$/m],
    [secret, /line 6: no "=" in this line \(expected key = value\)$/m],
    [`pass:${secret} = x`, /line 6: unknown key "pass…"$/m],
    [`= ${secret}`, /line 6: no key before "="$/m],
    [`[${secret}]`, /line 6: sections \("\[…\]"\) are not used in this file$/m],
    [`http_timeout = ${secret}`, /line 6: key "http_timeout" must be an integer from 1 to 3600$/m],
    [`signer = ${secret}`, /line 6: key "signer" must be "native" or "bios-crypto"$/m],
    [`site = ${secret}`, /line 6: key "site" is not a URL$/m],
    [`ca_file = ${secret}`, /line 6: key "ca_file" must be an absolute path$/m],
  ];
  for (const [line, message] of cases) {
    await writeLines(demo.deployment, line, 'pass = "xxx"');
    const result = await runBundle([], demo.deployment);
    assertOneConfigLine(result, message);
    assert.ok(result.stderr.startsWith(`inventario-leasegen: ${demo.deployment.configPath}: `), result.stderr);
    assert.ok(!result.stderr.includes("Tr0ub") && !result.stdout.includes("Tr0ub"), line);
    const log = await readFile(join(demo.deployment.stateDir, "leasegen.log"), "utf8").catch(() => "");
    assert.ok(!log.includes("Tr0ub"), line);
  }
});

test("a password quoted across two lines: the error names the line only; no word of it on stderr, stdout or in the log", async () => {
  const cases = [
    ['pass = "correct horse', 'battery staple"'],
    ['pass = "xx', 'Tr0ub4dor&3 "'],
    ["pass = 'correct", "horse battery' staple"],
  ];
  // A good run first, so that there is a log for a leak to land in.
  await writeLines(demo.deployment, 'pass = "xxx"');
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  for (const lines of cases) {
    await writeLines(demo.deployment, ...lines);
    const words =
      lines
        .join(" ")
        .match(/[A-Za-z0-9&]{4,}/g)
        ?.filter((word) => word !== "pass") ?? [];
    const run = await runBundle([], demo.deployment);
    assertOneConfigLine(run, /line 7: no "=" in this line \(expected key = value\)$/m);
    const check = await runBundle(["status", "--check"], demo.deployment);
    assert.match(check.stdout, /^LEASEGEN UNKNOWN - .*line 7: no "=" in this line/);
    const log = await readFile(join(demo.deployment.stateDir, "leasegen.log"), "utf8");
    for (const [where, text] of Object.entries({ log, stderr: run.stderr + check.stderr, stdout: run.stdout + check.stdout }))
      for (const word of words) assert.ok(!text.includes(word), `${JSON.stringify(word)} of ${JSON.stringify(lines)} in ${where}`);
  }
});

test("an empty value is named as such, not as a missing key", async () => {
  await writeLines(demo.deployment, 'pass = "xxx"', "leases_dir =");
  const result = await runBundle([], demo.deployment);
  assertOneConfigLine(
    result,
    /line 7: key "leases_dir" has an empty value \(remove the line or comment it out for the default, \/var\/lib\/xo-activations\)$/m,
  );
});

test("a ca_file without a certificate is refused at start: exit 2, one line naming the file, nothing written", async () => {
  const { deployment } = demo;
  const caFile = join(deployment.dir, "ca.pem");
  const contents = [
    "",
    "not a certificate\n",
    "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n",
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
  ];
  for (const text of contents) {
    await writeFile(caFile, text);
    await deployment.writeConfig({ ca_file: caFile });
    const result = await runBundle([], deployment);
    assertOneConfigLine(result, new RegExp(`ca_file ${caFile} holds (no PEM certificate|a PEM certificate that cannot be read)`));
    assert.deepEqual(await leaseFiles(deployment.leasesDir), [], JSON.stringify(text));
  }
});

test("a ca_file that is a FIFO, a device or a directory is refused at start without opening it: exit 2, one line", async () => {
  const { deployment } = demo;
  const fifo = join(deployment.dir, "ca.fifo");
  execFileSync("mkfifo", [fifo]);
  const link = join(deployment.dir, "ca-link.pem");
  await symlink(fifo, link);
  const cases: [string, string][] = [
    [fifo, "a FIFO"],
    [link, "a FIFO"],
    ["/dev/zero", "a device"],
    [deployment.dir, "a directory"],
  ];
  for (const [caFile, kind] of cases) {
    await deployment.writeConfig({ ca_file: caFile });
    // Reading a FIFO that no one writes would wait forever: killed after 20 s, the run fails here.
    const result = await runBundle([], deployment, {}, 20_000);
    assertOneConfigLine(result, new RegExp(`ca_file ${caFile} is not a regular file but ${kind}$`, "m"));
    assert.deepEqual(await leaseFiles(deployment.leasesDir), [], caFile);
  }
});

test("HOST1,HOST2, with trailing commas runs those schools, as the Ruby program did; a list without a name is refused", async () => {
  const escuela2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
  const escuela3 = "schoolserver.escuela3.caacupe.paraguayeduca.org";
  const result = await runBundle([`${escuela2},${escuela3},,`], demo.deployment);
  assert.equal(result.code, 0, result.stderr);
  const schools = [...(await readTree(demo.deployment.leasesDir)).keys()].filter((p) => p.startsWith("by-school/")).sort();
  assert.deepEqual(schools, [`by-school/${escuela2}`, `by-school/${escuela3}`]);
  for (const [hosts, message] of [
    [",", /no hostname in ","/],
    ["", /no hostname in ""/],
    [`${escuela2},,${escuela3}`, /empty hostname in/],
  ] as const) {
    const refused = await runBundle([hosts], demo.deployment);
    assert.equal(refused.code, 2, hosts);
    assert.equal(refused.stderr.split("\n").length, 2, refused.stderr);
    assert.match(refused.stderr, message);
  }
});
