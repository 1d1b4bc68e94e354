// The Prometheus alerting rules that ship (packaging/inventario-leasegen.rules.yml, installed as
// /usr/share/inventario-leasegen/prometheus/inventario-leasegen.rules.yml): promtool accepts
// them; its unit tests (test/prometheus/) see each alert fire when it should, with the words an
// operator reads, and stay silent otherwise; they name only metrics that the built program
// writes; and their thresholds are `status --check`'s defaults. Needs promtool (`make check`
// installs it, packaging/install-test-deps.sh): without it these tests fail, they do not skip.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { RUN_STARTED } from "../../src/core/metrics.js";
import { DEFAULT_THRESHOLDS } from "../../src/core/status-check.js";
import { ROOT, runBundle, runCommand, useDemoDeployment, type RunResult } from "../support/harness.js";
import { parseMetrics, useMetricsFile } from "../support/metrics-file.js";

const RULES = join(ROOT, "packaging", "inventario-leasegen.rules.yml");
const RULE_TESTS = join(ROOT, "test", "prometheus", "inventario-leasegen.rules.test.yml");

const demo = useDemoDeployment();

async function promtool(args: readonly string[]): Promise<RunResult> {
  const result = await runCommand("promtool", args).catch((error: Error) =>
    assert.fail(`promtool: ${error.message} (make check installs it, packaging/install-test-deps.sh)`),
  );
  assert.equal(result.code, 0, `promtool ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
  return result;
}

/** The names of the metrics that the rules' expressions read. */
async function metricsTheRulesRead(): Promise<Set<string>> {
  const expressions = (await readFile(RULES, "utf8")).split("\n").filter((line) => !/^\s*(#|summary:|description:)/.test(line));
  return new Set(expressions.join("\n").match(/\bleasegen_[a-z_]+/g));
}

test("promtool check rules accepts them", async () => {
  const result = await promtool(["check", "rules", RULES]);
  assert.match(result.stdout, /SUCCESS: 10 rules found/);
});

test("promtool test rules: each alert fires when it should, with its words, and stays silent otherwise", async () => {
  const result = await promtool(["test", "rules", RULE_TESTS]);
  assert.match(result.stdout, /SUCCESS/);
});

test("they read only metrics that a run of the built program writes, its start mark included", async () => {
  const { path, duringRun } = await useMetricsFile(demo.deployment, { duringRun: true });
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const written = new Set([
    ...parseMetrics(await readFile(path, "utf8")).keys(),
    ...parseMetrics(await readFile(duringRun, "utf8")).keys(),
  ]);
  assert.ok(written.has(RUN_STARTED));
  const read = await metricsTheRulesRead();
  assert.ok(read.size >= 8, [...read].join(" "));
  for (const name of read) assert.ok(written.has(name), `${name} is read by the rules but no run writes it`);
});

test("their thresholds are status --check's defaults: --warning, --critical days, --max-age hours", async () => {
  const rules = await readFile(RULES, "utf8");
  const { warningDays, criticalDays, maxAgeHours } = DEFAULT_THRESHOLDS;
  const expiry = "leasegen_school_earliest_lease_expiry_timestamp_seconds - time()";
  for (const expression of [
    `${expiry} < ${warningDays} * 86400\n          and ${expiry} >= ${criticalDays} * 86400`,
    `expr: ${expiry} < ${criticalDays} * 86400\n`,
    `expr: time() - leasegen_last_success_timestamp_seconds > ${maxAgeHours} * 3600\n`,
  ])
    assert.ok(rules.includes(expression), expression);
  assert.match(rules, new RegExp(`--warning ${warningDays} days, --critical ${criticalDays} days, --max-age ${maxAgeHours} hours`));
});
