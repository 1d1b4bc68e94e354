// The progress line (issue 8 §5) through the built bundle: on a terminal (script(1) gives the
// program one, as an operator's shell would), one self-updating line on stderr, error lines
// printed above it, erased before the summary; never when stderr is not a terminal.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { BUNDLE, runBundle, runCommand, useDemoDeployment } from "../support/harness.js";

const demo = useDemoDeployment();

/** A drawing of the line: carriage return, the text, erase to the end of the line. */
// eslint-disable-next-line no-control-regex -- the terminal's escape sequence is the point
const FRAME = /\r([^\r\n\u001b]*)\u001b\[K/g;

/** Runs the bundle under script(1); `shell` is appended to the command line (a redirection). */
async function runOnTerminal(shell = ""): Promise<string> {
  const command = [process.execPath, BUNDLE, "--config", demo.deployment.configPath].map((arg) => `'${arg}'`).join(" ");
  const tty = await runCommand("script", ["-qec", `${command}${shell}`, "/dev/null"]);
  assert.notEqual(tty.code, null);
  return tty.stdout;
}

test("on a terminal: one self-updating line (schools, leases, rate, time left), erased before the summary", async () => {
  const output = await runOnTerminal();
  const frames = [...output.matchAll(FRAME)].map((match) => match[1] as string);
  assert.ok(frames.length >= 2, JSON.stringify(output));
  assert.equal(frames[0], "0/3 schools, 0 leases signed", "drawn as soon as the schools are known");
  for (const frame of frames.slice(0, -1)) assert.match(frame, /^[0-3]\/3 schools, \d+ leases signed(, [\d,]+\/s)?(, about .+ left)?$/);
  assert.equal(frames.at(-1), "", "erased at the end");
  assert.match(output.replace(FRAME, ""), /^3 schools regenerated, 0 up to date, 0 failed; 8 leases signed in \d+\.\d s\r?\n$/);
});

test("on a terminal, an error line is printed whole above the progress line", async () => {
  demo.server.dataset.schools.set("schoolserver.escuela2.caacupe.paraguayeduca.org", { laptops: [], raw: { status: 500, body: "boom" } });
  const output = (await runOnTerminal()).replace(FRAME, "");
  const lines = output.split(/\r?\n/);
  assert.ok(
    lines.some((line) => /^inventario-leasegen: schoolserver\.escuela2\.caacupe\.paraguayeduca\.org: .*500/.test(line)),
    JSON.stringify(output),
  );
  assert.match(output, /^2 schools regenerated, 0 up to date, 1 failed; 5 leases signed in \d+\.\d s\r?\n$/m);
});

test("without a terminal on stderr (cron, a pipe, a file) there is no progress line", async () => {
  const piped = await runBundle([], demo.deployment);
  assert.equal(piped.code, 0);
  assert.equal(piped.stdout + piped.stderr, "");
  // stdout on a terminal, stderr to a file: the summary, and no progress anywhere.
  const errFile = join(demo.deployment.dir, "stderr.txt");
  const output = await runOnTerminal(` 2>'${errFile}'`);
  assert.equal(await readFile(errFile, "utf8"), "");
  assert.match(output, /^0 schools regenerated, 3 up to date, 0 failed; 0 leases signed in \d+\.\d s\r?\n$/);
});
