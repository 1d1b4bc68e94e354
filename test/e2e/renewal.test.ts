// Issue 17 through the bundle: a school is renewed by the lease, not as a whole. Good leases are
// kept byte for byte, only what changed is written, a lease is renewed when it is due (time is
// moved with libfaketime: no seam in the program), an expiry too close fails the school, and the
// Ruby program's state works both ways.
import assert from "node:assert/strict";
import { lstat, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { laptop } from "../support/datasets.js";
import { publicKeyOf, readLog, readTree, runBundle, runBundleAt, useDemoDeployment, type RunResult } from "../support/harness.js";
import { emptyDataset, type Dataset, type TestLaptop } from "../support/inventario-server.js";
import { makeKeyPair } from "../support/keys.js";
import { metricValue, parseMetrics } from "../support/metrics-file.js";
import { expiryIn, type StatusJson } from "../support/status-helpers.js";
import { checkCompletedRun, shown } from "./issue3-helpers.js";

const A = "schoolserver.a.example.org";
const B = "schoolserver.b.example.org";
const SHARED = laptop(3);

/** A: laptops 1-6; B: 7, 8 and laptop 3, which A lists too. */
function renewalDataset(): Dataset {
  const dataset = emptyDataset();
  dataset.schools.set(A, { laptops: [1, 2, 3, 4, 5, 6].map((i) => laptop(i)) });
  dataset.schools.set(B, { laptops: [SHARED, laptop(7), laptop(8)] });
  return dataset;
}

const demo = useDemoDeployment(renewalDataset);
const laptopsOf = (hostname: string): TestLaptop[] => demo.server.dataset.schools.get(hostname)?.laptops as TestLaptop[];

async function run(args: string[] = [], code = 0, offset?: string): Promise<RunResult> {
  const result = offset === undefined ? await runBundle(args, demo.deployment) : await runBundleAt(offset, args, demo.deployment);
  assert.equal(result.code, code, shown(result));
  return result;
}

const schoolLeases = async (hostname: string): Promise<Map<string, string>> =>
  readSchoolFile(await readFile(join(demo.deployment.leasesDir, "by-school", hostname), "latin1"));
const laptopPath = (serial: string): string => join("by-laptop", serial.slice(-2), serial);

/** Inode and modification time of every file under leases_dir. */
async function stamps(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const path of (await readTree(demo.deployment.leasesDir)).keys()) {
    const info = await stat(join(demo.deployment.leasesDir, path), { bigint: true });
    files.set(path, `${info.ino} ${info.mtimeNs}`);
  }
  return files;
}

/** The last log line about a school. */
async function lastLine(hostname: string): Promise<Record<string, unknown>> {
  return (await readLog(demo.deployment)).filter((line) => line["hostname"] === hostname).at(-1) ?? {};
}

/** Asserts that `line` is a lease for the laptop, expiring at `expiry` if given, that verifies with the configured key. */
async function assertLeaseFor(line: string | undefined, { serial, uuid }: TestLaptop, expiry?: string): Promise<void> {
  const [, sn, , lineExpiry, , , , signature] = (line ?? "").trimEnd().split(" ");
  assert.equal(sn, serial, line);
  if (expiry !== undefined) assert.equal(lineExpiry, expiry);
  const key = await publicKeyOf(demo.deployment.keyPath);
  assert.ok(verifyLeaseSignature(key, `${serial}:${uuid as string}:K:${lineExpiry as string}`, signature as string), `${serial}: verifies`);
}

const checksumPath = (hostname: string): string => join(demo.deployment.stateDir, `${hostname}.checksum`);

test("a changed list keeps every good lease byte for byte and signs only the new laptops and the new UUIDs; untouched files keep inode and time", async () => {
  const before = Date.now();
  await run();
  const signedBy = Date.now();
  const first = await schoolLeases(A);
  const firstStamps = await stamps();
  const movedUuid = { serial: laptop(2).serial, uuid: laptop(20).uuid };
  laptopsOf(A).splice(0, 6, laptop(1), movedUuid, laptop(3), laptop(5), laptop(6), laptop(10));
  await run();

  const line = await lastLine(A);
  assert.equal(line["msg"], `${A}: regenerated (list changed): 6 laptops, 2 signed, 4 kept`);
  assert.equal(line["laptopFiles"], 2);
  assert.equal((await lastLine(B))["action"], "up to date");
  const second = await schoolLeases(A);
  assert.deepEqual(
    [...second.keys()],
    [1, 2, 3, 5, 6, 10].map((i) => laptop(i).serial),
  );
  for (const i of [1, 3, 5, 6]) assert.equal(second.get(laptop(i).serial), first.get(laptop(i).serial), `laptop ${i} kept`);
  await assertLeaseFor(second.get(movedUuid.serial), movedUuid);
  await assertLeaseFor(second.get(laptop(10).serial), laptop(10));

  const now = await stamps();
  for (const i of [1, 3, 5, 6, 7, 8])
    assert.equal(now.get(laptopPath(laptop(i).serial)), firstStamps.get(laptopPath(laptop(i).serial)), `laptop ${i}'s file untouched`);
  assert.equal(now.get(`by-school/${B}`), firstStamps.get(`by-school/${B}`));
  assert.notEqual(now.get(laptopPath(movedUuid.serial)), firstStamps.get(laptopPath(movedUuid.serial)));
  assert.equal(now.has(laptopPath(laptop(4).serial)), false, "the laptop that left has no file");
  await checkCompletedRun(demo.deployment.leasesDir);

  // The checksum file is dated when the oldest kept lease was signed, not now (the Ruby program's staleness).
  const dated = (await stat(checksumPath(A))).mtimeMs;
  assert.ok(dated >= before - 1000 && dated <= signedBy, `checksum dated ${new Date(dated).toISOString()}`);
});

test("a list change that changes no line writes no lease file and calls no hook; a shared laptop's file follows its lines", async () => {
  const called = join(demo.deployment.dir, "hook-called");
  await demo.deployment.writeConfig({ post_hook: `touch ${called}` });
  await run();
  await rm(called);
  const firstStamps = await stamps();
  laptopsOf(A).push(laptop(1)); // listed twice: the checksum changes, the leases do not
  await run();
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (list changed): 7 laptops, 0 signed, 6 kept`);
  assert.deepEqual(await stamps(), firstStamps, "not one file under leases_dir was written");
  assert.equal(await stat(called).catch(() => undefined), undefined, "nothing to push: no hook");

  // B gives laptop 3 a new UUID: the shared laptop file changes with B's line, A's line stays in it.
  const a3 = (await schoolLeases(A)).get(SHARED.serial) as string;
  laptopsOf(B).splice(0, 1, { serial: SHARED.serial, uuid: laptop(30).uuid });
  await run();
  assert.equal((await lastLine(B))["msg"], `${B}: regenerated (list changed): 3 laptops, 1 signed, 2 kept`);
  assert.ok(await stat(called), "B's file changed: the hook is called");
  const shared = await readFile(join(demo.deployment.leasesDir, laptopPath(SHARED.serial)), "latin1");
  assert.ok(shared.includes(a3));
  assert.equal((await stamps()).get(`by-school/${A}`), firstStamps.get(`by-school/${A}`));
  await checkCompletedRun(demo.deployment.leasesDir);
});

test("--force re-signs every lease of the schools it names", async () => {
  await run();
  const first = await schoolLeases(A);
  await run(["--force", A]);
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (forced): 6 laptops, 6 signed, 0 kept`);
  const second = await schoolLeases(A);
  for (const [serial, text] of second) assert.notEqual(text, first.get(serial), serial);
});

test("a lease signed with another key is due: a changed key re-signs every school", async () => {
  await run();
  const otherKey = await makeKeyPair(demo.deployment.dir, "other");
  await demo.deployment.writeConfig({ signing_key_path: otherKey });
  await run();
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (key changed): 6 laptops, 6 signed, 0 kept`);
  const keyId = (await readFile(`${otherKey}.public`)).subarray(-32).toString("hex");
  for (const text of (await schoolLeases(B)).values()) assert.ok(text.includes(` sha256 ${keyId} `));
});

test("a lease whose signature does not verify is signed again; a school file changed behind the run's back is regenerated", async () => {
  await run();
  const path = join(demo.deployment.leasesDir, "by-school", A);
  const text = await readFile(path, "latin1");
  const victim = laptop(5).serial;
  const good = (await schoolLeases(A)).get(victim) as string;
  // One hex digit of the signature changed: same size, still canonical, the format intact.
  const last = good.at(-2) === "0" ? "1" : "0";
  const bad = `${good.slice(0, -2)}${last}\n`;
  await writeFile(path, text.replace(good, bad), "latin1");
  // The school file is not what the run wrote, so its kept laptops' files are read and compared:
  // one cut short is rewritten, one replaced by a link to the right bytes is replaced, not followed.
  const laptopFile = (i: number): string => join(demo.deployment.leasesDir, laptopPath(laptop(i).serial));
  await writeFile(laptopFile(2), (await readFile(laptopFile(2), "latin1")).slice(0, 100), "latin1");
  const copy = join(demo.deployment.dir, "copy-of-laptop-1");
  await writeFile(copy, await readFile(laptopFile(1)));
  await rm(laptopFile(1));
  await symlink(copy, laptopFile(1));
  const firstStamps = await stamps();
  await run();
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (output damaged): 6 laptops, 1 signed, 5 kept`);
  assert.equal((await lastLine(A))["laptopFiles"], 3);
  await assertLeaseFor((await schoolLeases(A)).get(victim), laptop(5));
  const now = await stamps();
  for (const i of [3, 4, 6])
    assert.equal(now.get(laptopPath(laptop(i).serial)), firstStamps.get(laptopPath(laptop(i).serial)), `laptop ${i}`);
  assert.ok((await lstat(laptopFile(1))).isFile(), "the link was replaced by a file");
  await checkCompletedRun(demo.deployment.leasesDir);
});

test("issue 16 §9: a plain run regenerates a school file that is not what it wrote; --force HOST repairs an unreadable one and exits 0", async () => {
  await run();
  const path = join(demo.deployment.leasesDir, "by-school", A);
  const canonical = await readFile(path, "latin1");
  // Not canonical: the same leases, keys out of order.
  const leases = [...(await schoolLeases(A))].reverse();
  await writeFile(path, `[1,{${leases.map(([serial, lease]) => `"${serial}":"${lease}"`).join(",")}}]`, "latin1");
  await run();
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (output damaged): 6 laptops, 0 signed, 6 kept`);
  assert.equal(await readFile(path, "latin1"), canonical);

  await writeFile(path, "[1,{truncated");
  const repaired = await run(["--force", A]);
  assert.equal(repaired.stderr, "");
  assert.deepEqual(
    [...(await schoolLeases(A)).keys()],
    [1, 2, 3, 4, 5, 6].map((i) => laptop(i).serial),
  );
  await checkCompletedRun(demo.deployment.leasesDir);
});

test("a school whose lease duration is short is renewed once its leases pass half their life, though nothing changed", async () => {
  // The defect: leases of 30 hours, then 21 days with the list unchanged; "up to date" until T, laptops locked.
  demo.server.dataset.schools.get(A)!.expiry = expiryIn(30 / 24);
  await run([], 0);
  delete demo.server.dataset.schools.get(A)!.expiry;
  await run([], 0, "+14h");
  assert.equal((await lastLine(A))["action"], "up to date", "more than half their life left");
  await run([], 0, "+16h");
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (lease due): 6 laptops, 6 signed, 0 kept`);
  for (const text of (await schoolLeases(A)).values()) assert.doesNotMatch(text, new RegExp(` K ${expiryIn(30 / 24).slice(0, 8)}`));
  assert.equal((await lastLine(B))["action"], "up to date");
});

test("leases are renewed one by one as each comes due: a school signed twice over a week renews only its older leases", async () => {
  await run();
  laptopsOf(A).push(laptop(11));
  await run([], 0, "+4d");
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (list changed): 7 laptops, 1 signed, 6 kept`);
  const middle = await schoolLeases(A);
  await run([], 0, "+180h");
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (stale): 7 laptops, 6 signed, 1 kept`);
  assert.equal((await schoolLeases(A)).get(laptop(11).serial), middle.get(laptop(11).serial));
  // Every lease of B was a week old: each signed once.
  assert.equal((await lastLine(B))["msg"], `${B}: regenerated (stale): 3 laptops, 3 signed, 0 kept`);
});

test("an expiry shortened by inventario applies at the next regeneration", async () => {
  demo.server.dataset.schools.get(A)!.expiry = "20301231T060000Z";
  await run();
  demo.server.dataset.schools.get(A)!.expiry = "20300630T060000Z";
  laptopsOf(A).push(laptop(12));
  await run();
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (list changed): 7 laptops, 7 signed, 0 kept`);
  for (const text of (await schoolLeases(A)).values()) assert.match(text, / K 20300630T060000Z /);
});

test("an expiry less than 24 hours ahead fails the school, its files untouched, exit 3", async () => {
  await run();
  const before = [await readTree(demo.deployment.leasesDir), await readTree(join(demo.deployment.stateDir, "signed"))];
  const checksumTime = (await stat(checksumPath(A))).mtimeMs;
  demo.server.dataset.schools.get(A)!.expiry = expiryIn(150 / 86400);
  laptopsOf(A).push(laptop(13));
  const result = await run([], 3);
  assert.match(
    result.stderr,
    new RegExp(`^inventario-leasegen: ${A.replace(/\./g, "\\.")}: inventario suggested an expiry [12] minutes ahead \\(\\d{8}T\\d{6}Z\\)`),
  );
  assert.deepEqual([await readTree(demo.deployment.leasesDir), await readTree(join(demo.deployment.stateDir, "signed"))], before);
  assert.equal((await stat(checksumPath(A))).mtimeMs, checksumTime);
});

test("the Ruby program's state: its leases count as signed when its checksum file was written, and are checked once", async () => {
  await run();
  const firstStamps = await stamps();
  // What the Ruby program leaves: lease files and checksum files, no signed records.
  await rm(join(demo.deployment.stateDir, "signed"), { recursive: true });
  const twoDaysAgo = new Date(Date.now() - 2 * 86400_000);
  for (const hostname of [A, B]) await utimes(checksumPath(hostname), twoDaysAgo, twoDaysAgo);
  laptopsOf(A).splice(1, 1, { serial: laptop(2).serial, uuid: laptop(21).uuid });
  await run();
  assert.equal((await lastLine(A))["msg"], `${A}: regenerated (list changed): 6 laptops, 1 signed, 5 kept`);
  assert.equal((await lastLine(B))["msg"], `${B}: regenerated (no record): 3 laptops, 0 signed, 3 kept`);
  const now = await stamps();
  assert.equal(now.get(`by-school/${B}`), firstStamps.get(`by-school/${B}`), "nothing written for B");
  for (const hostname of [A, B]) {
    const dated = (await stat(checksumPath(hostname))).mtimeMs;
    assert.ok(Math.abs(dated - twoDaysAgo.getTime()) < 1, `${hostname}: dated as before, not ${new Date(dated).toISOString()}`);
  }
  await run();
  assert.equal((await lastLine(A))["action"], "up to date");
  assert.equal((await lastLine(B))["action"], "up to date");

  // Taken over a week after the Ruby program signed: every lease is signed again.
  await rm(join(demo.deployment.stateDir, "signed"), { recursive: true });
  const eightDaysAgo = new Date(Date.now() - 8 * 86400_000);
  await utimes(checksumPath(B), eightDaysAgo, eightDaysAgo);
  await run();
  assert.equal((await lastLine(B))["msg"], `${B}: regenerated (stale): 3 laptops, 3 signed, 0 kept`);
  assert.match(await readFile(checksumPath(B), "utf8"), /^[0-9a-f]{32}\n$/, "the Ruby program's format");
});

test("--dry-run says how many leases it would sign and keep, and writes nothing", async () => {
  await run();
  laptopsOf(A).push(laptop(14));
  const before = [await readTree(demo.deployment.leasesDir), await readTree(demo.deployment.stateDir)];
  const dry = await run(["--dry-run"]);
  assert.match(
    dry.stdout,
    new RegExp(
      `^${A.replace(/\./g, "\\.")}: would regenerate \\(list changed\\), 7 laptops, expiry \\d{8}T060000Z: would sign 1 and keep 6$`,
      "m",
    ),
  );
  assert.match(dry.stdout, new RegExp(`^${B.replace(/\./g, "\\.")}: up to date, 3 laptops$`, "m"));
  assert.deepEqual([await readTree(demo.deployment.leasesDir), await readTree(demo.deployment.stateDir)], before);
});

test("status and the metrics show each school's earliest expiry and when its next lease is due", async () => {
  const metricsFile = join(demo.deployment.dir, "leasegen.prom");
  await demo.deployment.writeConfig({ metrics_file: metricsFile });
  demo.server.dataset.schools.get(B)!.expiry = expiryIn(4);
  await run();
  laptopsOf(A).push(laptop(15));
  await run([], 0, "+1d");
  const json = JSON.parse((await run(["status", "--json"])).stdout) as StatusJson;
  const a = json.schools.find((school) => school.hostname === A)!;
  const b = json.schools.find((school) => school.hostname === B)!;
  // A's oldest leases were signed at the first run (its checksum file's time): due a week later.
  assert.equal(a.nextDueAt, new Date(new Date(a.lastSignedAt!).getTime() + 7 * 86400_000).toISOString());
  // B's 4-day leases are due halfway through their life.
  const halfway = (new Date(b.lastSignedAt!).getTime() + new Date(b.earliestExpiry!).getTime()) / 2;
  assert.equal(b.nextDueAt, new Date(Math.floor(halfway)).toISOString());
  const table = (await run(["status"])).stdout;
  assert.match(table, /^SCHOOL +LAPTOPS +EARLIEST EXPIRY +DAYS LEFT +LAST SIGNED +NEXT DUE +LAST OUTCOME$/m);
  assert.ok(
    table.split("\n").some((row) => row.startsWith(B) && row.includes(b.nextDueAt!.slice(0, 16).replace("T", " "))),
    table,
  );
  const metrics = parseMetrics(await readFile(metricsFile, "utf8"));
  const seconds = (iso: string | null): number => new Date(iso!).getTime() / 1000;
  assert.equal(metricValue(metrics, "leasegen_school_next_lease_due_timestamp_seconds", { hostname: A }), seconds(a.nextDueAt));
  assert.equal(metricValue(metrics, "leasegen_next_lease_due_timestamp_seconds"), seconds(b.nextDueAt));
  assert.equal(metricValue(metrics, "leasegen_school_earliest_lease_expiry_timestamp_seconds", { hostname: B }), seconds(b.earliestExpiry));
});
