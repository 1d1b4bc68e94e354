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
  // The message says the school, what happened and why; the fields add only the rest.
  assert.ok(
    lines.some((line) =>
      new RegExp(
        `^\\S+ INFO  ${SCHOOL1}: regenerated \\(output missing\\): 7 laptops, 5 signed, 0 kept laptopFiles=4 schoolFileWritten=true expiry=\\d{8}T060000Z ms=\\d+$`,
      ).test(line),
    ),
    text,
  );
  assert.match(
    lines.at(-1) as string,
    /^\S+ INFO {2}run finished: 3 schools regenerated, 0 up to date, 0 failed; 8 leases signed in \S+ s exitCode=0$/,
  );
  // A line says a thing once: no line names its school twice.
  for (const line of lines) assert.ok(line.split("schoolserver.").length <= 2, line);
});

test("log_format = json keeps every field, those the message says included", async () => {
  await demo.deployment.writeConfig({ log_format: "json" });
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const records = (await logLines(demo.deployment)).map((line) => JSON.parse(line) as Record<string, unknown>);
  const school = records.find((record) => record["hostname"] === SCHOOL1);
  assert.deepEqual(Object.keys(school ?? {}).sort(), [
    "action",
    "expiry",
    "hostname",
    "kept",
    "laptopFiles",
    "laptops",
    "level",
    "ms",
    "msg",
    "pid",
    "reason",
    "schoolFileWritten",
    "signed",
    "time",
  ]);
  assert.equal(school?.["msg"], `${SCHOOL1}: regenerated (output missing): 7 laptops, 5 signed, 0 kept`);
  const finished = records.at(-1) ?? {};
  for (const key of ["regenerated", "upToDate", "failed", "leasesSigned", "removedSchools", "stolenListFailed", "seconds", "exitCode"])
    assert.ok(key in finished, key);
});

/** The key=value fields a logfmt reader finds in a text line: tokens outside quotes that hold a `=`. */
function logfmtKeys(line: string): string[] {
  const tokens = line.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
  return tokens.flatMap((token) => (/^[^"=]+=/.test(token) ? [token.slice(0, token.indexOf("="))] : []));
}

test("a hostname holding a space, = or a quote is quoted in the message: a logfmt reader finds no forged field", async () => {
  const forging = 'eq=val x=1 "q"';
  demo.server.dataset.schools.set(forging, { laptops: [laptop(70)] });
  await useDefaultLogFormat(demo.deployment);
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const line = (await logLines(demo.deployment)).find((l) => l.includes("eq=val")) ?? "";
  assert.ok(line.includes(` INFO  ${JSON.stringify(forging)}: regenerated (output missing): 1 laptops, 1 signed, 0 kept `), line);
  assert.deepEqual(logfmtKeys(line), ["laptopFiles", "schoolFileWritten", "expiry", "ms"]);
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
      assert.ok(records.some((record) => String(record["msg"]).includes('"SHC0000\\n2026-01-01T') && record["level"] === "warn"));
      assert.ok(records.some((record) => record["hostname"] === `bad\n${FORGED}` && record["level"] === "error"));
      continue;
    }
    for (const line of lines) assert.match(line, TEXT_LINE);
    const warning = lines.find((line) => / WARN {2}.*laptops skipped/.test(line));
    assert.ok(warning?.includes(`("SHC0000\\n2026-01-01T00:00:00.000Z ERROR`), warning);
    assert.ok(
      lines.some((line) => / ERROR school refused: hostname "bad\\n2026-01-01T00:00:00\.000Z ERROR forged line" contains/.test(line)),
    );
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

test("a bounded log: 20,000 bad laptops make one line, a 100 KB serial a short one, a no-change run a line per school", async () => {
  const big = "schoolserver.big.example.org";
  const bad = Array.from({ length: 20_000 }, (_, i) => ({ serial: laptop(1000 + i).serial, uuid: "ABC2" }));
  const hugeSerial = `SHC${"9".repeat(100_000)}`;
  demo.server.dataset.schools.set(big, { laptops: [laptop(90), ...bad, { serial: hugeSerial, uuid: laptop(91).uuid }] });
  // And a stolen list with thousands of entries that are not serials: one line on stderr, not thousands.
  demo.server.dataset.stolen.push(...Array.from({ length: 5_000 }, (_, i) => ({ serial: `not a serial ${i}`, uuid: null })));
  await useDefaultLogFormat(demo.deployment);
  const first = await runBundle([], demo.deployment);
  assert.equal(first.code, 0, shown(first));
  assert.equal(stderrLines(first).length, 1, shown(first));
  assert.match(
    first.stderr,
    /stolen list: entries not as expected, 5000 with a serial that is not 11 characters A-Z 0-9 \("not a serial 0", "not a serial 1", "not a serial 2", …\)/,
  );
  const text = await readFile(logFile(demo.deployment), "utf8");
  const lines = await logLines(demo.deployment);
  // run started, the stolen list (its warning, its update), 4 schools, one line for the bad laptops, the sweep, run finished.
  assert.ok(lines.length <= 12, `${lines.length} lines:\n${text.slice(0, 3000)}`);
  assert.ok(Buffer.byteLength(text) < 8 * 1024, `${Buffer.byteLength(text)} bytes`);
  for (const line of lines) assert.ok(Buffer.byteLength(line) < 1500, `a line of ${Buffer.byteLength(line)} bytes: ${line.slice(0, 200)}…`);
  const skipped = lines.filter((line) => line.includes("laptops skipped"));
  assert.equal(skipped.length, 1, text);
  assert.match(
    skipped[0] as string,
    new RegExp(
      `WARN  ${big}: laptops skipped, they get no lease: 20000 with a UUID that is not 8-4-4-4-12 hex \\(${bad[0]?.serial} "ABC2", .*, …\\), 1 with a serial that is not 11 characters A-Z 0-9 \\("SHC9{37}…"\\)$`,
    ),
  );

  // Nothing changed: about one line per school, and no warning repeated.
  const before = lines.length;
  const second = await runBundle([], demo.deployment);
  assert.equal(second.code, 0, shown(second));
  const added = (await logLines(demo.deployment)).slice(before);
  const schools = demo.server.dataset.schools.size;
  assert.ok(added.length <= schools + 3, added.join("\n"));
  assert.deepEqual(
    added.filter((line) => / WARN /.test(line)).map((line) => line.replace(/^\S+ WARN {2}/, "").slice(0, 30)),
    ["stolen list: entries not as ex"],
  );
  assert.ok(
    added.some((line) => line.includes(`${big}: up to date laptops=20002 skipped=20001 ms=`)),
    added.join("\n"),
  );
});
