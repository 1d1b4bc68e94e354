// Issue 10 §6 through the bundle: the default log reads like a system log (time, level, message,
// then key=value fields, no colours); log_format = json keeps pino's JSON lines; in both, a value
// holding a newline never splits a line, no secret appears, and the file is appended to, so
// logrotate's copytruncate (or create) works.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { laptop } from "../support/datasets.js";
import { BUNDLE, runBundle, useDemoDeployment, type Deployment } from "../support/harness.js";
import { shown, stderrLines } from "./issue3-helpers.js";

const demo = useDemoDeployment();
const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
/** Every text line: ISO time (UTC), a level padded to 5, one space, the message, the fields. */
const TEXT_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR) \S[^\n]*$/;
const FORGED = `2026-01-01T00:00:00.000Z ERROR forged line`;

const logFile = (deployment: Deployment): string => join(deployment.stateDir, "leasegen.log");
const logLines = async (deployment: Deployment): Promise<string[]> =>
  (await readFile(logFile(deployment), "utf8")).split("\n").filter((line) => line !== "");

/** The test deployment's config without its log_format line: the program's default. */
async function useDefaultLogFormat(deployment: Deployment, extra: Record<string, string> = {}): Promise<void> {
  await deployment.writeConfig(extra);
  const config = await readFile(deployment.configPath, "utf8");
  await writeFile(deployment.configPath, config.replace(/^log_format = .*\n/m, ""));
}

test("by default each event is one line: time, level, message, then its fields as key=value, no colours", async () => {
  await useDefaultLogFormat(demo.deployment);
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, shown(result));
  const text = await readFile(logFile(demo.deployment), "utf8");
  assert.ok(!text.includes("\u001b"), "no terminal escape sequences");
  const lines = await logLines(demo.deployment);
  for (const line of lines) assert.match(line, TEXT_LINE);
  assert.match(lines[0] as string, /^\S+ INFO {2}run started force=false dryRun=false signer=native$/);
  assert.ok(
    lines.some((line) =>
      new RegExp(
        `^\\S+ INFO  ${SCHOOL1}: regenerated \\(output missing\\): 7 laptops, 5 signed, 0 kept hostname=${SCHOOL1} reason="output missing" laptops=7 signed=5 kept=0 laptopFiles=4 schoolFileWritten=true expiry=\\d{8}T060000Z ms=\\d+ action=regenerated$`,
      ).test(line),
    ),
    text,
  );
  assert.match(
    lines.at(-1) as string,
    /^\S+ INFO {2}run finished: 3 schools regenerated, 0 up to date, 0 failed; 8 leases signed in \S+ s regenerated=3 upToDate=0 failed=0 leasesSigned=8 removedSchools=0 stolenListFailed=false seconds=\S+ exitCode=0$/,
  );
});

test("a value holding a newline is escaped: it neither splits its line nor forges another, on stderr either", async () => {
  const school = demo.server.dataset.schools.get(SCHOOL1);
  school?.laptops.push({ serial: `SHC0000\n${FORGED}`, uuid: laptop(50).uuid });
  demo.server.dataset.schools.set(`bad\n${FORGED}`, { laptops: [] });
  for (const format of ["text", "json"]) {
    await demo.deployment.writeConfig({ log_format: format });
    await rm(logFile(demo.deployment), { force: true });
    const result = await runBundle(["--force"], demo.deployment);
    assert.equal(result.code, 3, shown(result));
    assert.equal(stderrLines(result).length, 1, `one line for the refused school\n${shown(result)}`);
    assert.ok(!result.stderr.includes(`\n${FORGED}`), shown(result));
    const lines = await logLines(demo.deployment);
    assert.ok(!lines.some((line) => line.startsWith(FORGED)), `${format}: a forged line`);
    if (format === "json") {
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(records.some((record) => record["serial"] === `SHC0000\n${FORGED}` && record["level"] === "warn"));
      continue;
    }
    for (const line of lines) assert.match(line, TEXT_LINE);
    const warning = lines.find((line) => / WARN {2}.*laptop skipped/.test(line));
    assert.ok(warning?.endsWith(` serial="SHC0000\\n${FORGED}"`), warning);
    assert.ok(lines.some((line) => / ERROR .* hostname="bad\\n2026-01-01T00:00:00\.000Z ERROR forged line"/.test(line)));
  }
});

test("no secret in the text log, on stdout or stderr: password, its SHA-1, the Authorization value, the key", async () => {
  const pass = "Sx-log-Passw0rd-9f2";
  demo.server.dataset.pass = pass;
  await useDefaultLogFormat(demo.deployment, { pass });
  const results = [await runBundle(["--force"], demo.deployment)];
  demo.server.dataset.schools.set(SCHOOL1, { laptops: [], raw: { status: 401, body: "HTTP Basic: Access denied.\n" } });
  results.push(await runBundle(["--force"], demo.deployment));
  demo.server.dataset.pass = "another";
  results.push(await runBundle([], demo.deployment));
  assert.deepEqual(
    results.map((r) => r.code),
    [0, 3, 4],
    results.map(shown).join("\n"),
  );
  const sha1 = createHash("sha1").update(pass).digest("hex");
  const key = await readFile(`${demo.deployment.keyPath}.private`);
  const secrets = [
    pass,
    sha1,
    Buffer.from(`test:${sha1}`).toString("base64"),
    key.toString("hex").slice(0, 64),
    key.toString("base64").slice(0, 64),
  ];
  const outputs = [await readFile(logFile(demo.deployment), "utf8"), ...results.flatMap((r) => [r.stdout, r.stderr])];
  assert.match(outputs[0] as string, / ERROR .*HTTP 401/);
  for (const output of outputs) for (const secret of secrets) assert.ok(!output.includes(secret), `a secret in: ${output}`);
});

test("the log is appended to: after logrotate's copytruncate, the next line starts the file (no hole)", async () => {
  await useDefaultLogFormat(demo.deployment);
  demo.server.dataset.schools.set("slow.example.org", { laptops: [laptop(60)], delayMs: 1500 });
  const run = spawn(process.execPath, [BUNDLE, "--config", demo.deployment.configPath], { stdio: "ignore" });
  const exited = new Promise<number | null>((resolve) => run.on("close", resolve));
  // Once the run has written its first lines and waits for the slow school, copy and truncate.
  for (let i = 0; i < 200 && !/stolen list updated/.test(await readFile(logFile(demo.deployment), "utf8").catch(() => "")); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 25));
  const copied = await readFile(logFile(demo.deployment), "utf8");
  await truncate(logFile(demo.deployment), 0);
  assert.equal(await exited, 0);
  assert.match(copied, /^\S+ INFO {2}run started/);
  const after = await readFile(logFile(demo.deployment), "utf8");
  assert.ok(!after.includes("\u0000"), "a hole of NUL bytes: the log was not opened for appending");
  assert.match(after, /^\S+ INFO {2}\S+: regenerated /);
  assert.match(after, / INFO {2}run finished: 4 schools regenerated/);

  // logrotate's create: the file is moved aside, and the next run starts a new one.
  await rename(logFile(demo.deployment), `${logFile(demo.deployment)}.1`);
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  assert.match(
    await readFile(logFile(demo.deployment), "utf8"),
    /^\S+ INFO {2}run started.*\n(.*\n)*\S+ INFO {2}run finished: 0 schools regenerated/,
  );
  assert.equal(await readFile(`${logFile(demo.deployment)}.1`, "utf8"), after);
});
