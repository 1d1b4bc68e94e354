// The main job end to end: the built bundle against the test inventario, bytes checked on disk.
import assert from "node:assert/strict";
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { schoolChecksum } from "../../src/core/checksum.js";
import { expiryTime } from "../../src/core/domain.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { demoDataset, laptop, VECTOR_LAPTOP } from "../support/datasets.js";
import { LEASES_LOCK, publicKeyOf, readLog, readTree, runBundle, runBundleAt, useDemoDeployment } from "../support/harness.js";
import type { TestLaptop } from "../support/inventario-server.js";

const SCHOOL1 = "schoolserver.escuela1.caacupe.paraguayeduca.org";
const SCHOOL2 = "schoolserver.escuela2.caacupe.paraguayeduca.org";
const SCHOOL3 = "schoolserver.escuela3.caacupe.paraguayeduca.org";

const demo = useDemoDeployment();

const leasesTree = (): Promise<Map<string, Buffer>> => readTree(demo.deployment.leasesDir);
const schoolFile = (hostname: string): Promise<string> => readFile(join(demo.deployment.leasesDir, "by-school", hostname), "latin1");

/** Every line of `text` is a lease for `serial` that verifies for one of `uuids` with the test key. */
async function assertValidLeases(text: string, serial: string, uuids: string[]): Promise<void> {
  const publicKey = await publicKeyOf(demo.deployment.keyPath);
  const lines = text.split(/(?<=\n)/);
  assert.equal(lines.length, uuids.length, `${serial}: one line per UUID`);
  assert.deepEqual([...lines].sort(), lines, "lines sorted");
  const verified = lines.map((line) => {
    assert.match(line, /^act01: [A-Z0-9]{11} K \d{8}T\d{6}Z sig01: sha256 [0-9a-f]{64} [0-9a-f]{512}\n$/);
    const [, sn, , expiry, , , , sig] = line.trimEnd().split(" ");
    assert.equal(sn, serial);
    return uuids.filter((uuid) => verifyLeaseSignature(publicKey, `${serial}:${uuid}:K:${expiry}`, sig as string));
  });
  assert.deepEqual(verified.flat().sort(), [...uuids].sort(), `${serial}: each UUID verified by exactly one line`);
}

test("first run: canonical by-school files, by-laptop files, stolen lists, checksums; leases verify", async () => {
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, "");
  assert.equal(result.stderr, "");

  const school1 = readSchoolFile(await schoolFile(SCHOOL1));
  const dataset = demoDataset();
  const listed = dataset.schools.get(SCHOOL1)?.laptops as TestLaptop[];
  // SHC00000009 is stolen; SHC00000001 is listed twice; SHC00000007 has two UUIDs.
  assert.deepEqual([...school1.keys()], ["SHC00000001", "SHC00000002", "SHC00000007", "SHC12345678"]);
  for (const [serial, text] of school1) {
    const uuids = [...new Set(listed.filter((l) => l.serial === serial).map((l) => l.uuid as string))];
    await assertValidLeases(text, serial, uuids);
    const laptopFile = await readFile(join(demo.deployment.leasesDir, "by-laptop", serial.slice(-2), serial), "latin1");
    assert.equal(laptopFile, text, "the by-laptop file holds the same lines");
  }
  assert.equal(school1.get("SHC00000007")?.split("\n").length, 3, "two lines for the serial with two UUIDs");
  assert.equal(await schoolFile(SCHOOL3), "[1,{}]");

  const tree = await leasesTree();
  assert.equal(tree.get("stolen.csv")?.toString(), `SHC00000009,${laptop(9).uuid}\nSHC10000009,\n`);
  assert.equal(tree.get("stolen.list")?.toString(), "SHC00000009\nSHC10000009\n");
  assert.equal(tree.has("by-laptop/09/SHC00000009"), false, "no lease for the stolen laptop");
  assert.equal([...tree.keys()].filter((p) => p.startsWith("by-laptop/")).length, 7);
  for (const [path] of tree) {
    // The lock file only the service user may open (src/io/lock.ts).
    const mode = path === LEASES_LOCK ? 0o600 : 0o644;
    assert.equal((await stat(join(demo.deployment.leasesDir, path))).mode & 0o777, mode, path);
  }

  const checksum = await readFile(join(demo.deployment.stateDir, `${SCHOOL1}.checksum`), "utf8");
  assert.equal(checksum, `${schoolChecksum(listed)}\n`);
});

test("the by-school file of the vector laptop has the bytes the firmware scans for", async () => {
  demo.server.dataset.schools.set(SCHOOL2, { laptops: [VECTOR_LAPTOP], expiry: "20300101T000000Z" });
  assert.equal((await runBundle([SCHOOL2], demo.deployment)).code, 0);
  const text = await schoolFile(SCHOOL2);
  assert.ok(text.startsWith('[1,{"SHC12345678":"act01: SHC12345678 K 20300101T000000Z sig01: sha256 a05fd7d74ff2114c'));
  assert.ok(text.endsWith('\n"}]'));
  assert.equal(text.length, '[1,{"SHC12345678":"'.length + 630 + 3);
});

test("a second run re-signs nothing and writes nothing", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = await leasesTree();
  const mtimes = await Promise.all(
    [SCHOOL1, SCHOOL2].map(async (h) => (await stat(join(demo.deployment.stateDir, `${h}.checksum`))).mtimeMs),
  );
  const second = await runBundle([], demo.deployment);
  assert.equal(second.code, 0);
  assert.deepEqual(await leasesTree(), before);
  const after = await Promise.all(
    [SCHOOL1, SCHOOL2].map(async (h) => (await stat(join(demo.deployment.stateDir, `${h}.checksum`))).mtimeMs),
  );
  assert.deepEqual(after, mtimes);
  const summary = (await readLog(demo.deployment)).at(-1);
  assert.equal(summary?.["regenerated"], 0);
  assert.equal(summary?.["upToDate"], 3);
  assert.equal(summary?.["leasesSigned"], 0);
});

test("a changed school is regenerated, the others are not", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = await leasesTree();
  demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(laptop(6));
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const after = await leasesTree();
  assert.notDeepEqual(after.get(`by-school/${SCHOOL2}`), before.get(`by-school/${SCHOOL2}`));
  assert.ok(after.has("by-laptop/06/SHC00000006"));
  assert.deepEqual(after.get(`by-school/${SCHOOL1}`), before.get(`by-school/${SCHOOL1}`));
  assert.deepEqual(after.get("by-laptop/01/SHC00000001"), before.get("by-laptop/01/SHC00000001"));
  const lines = (await readLog(demo.deployment)).filter((l) => l["hostname"] === SCHOOL2);
  assert.equal(lines.at(-1)?.["action"], "regenerated");
  assert.equal(lines.at(-1)?.["reason"], "list changed");
});

test("a school whose leases were signed T ago is re-signed with the expiry inventario suggests, the others are not", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  // escuela1 is signed again 4 days later; 8 days after the first run only escuela2's leases are a week old.
  assert.equal((await runBundleAt("+4d", ["--force", SCHOOL1], demo.deployment)).code, 0);
  const before = await leasesTree();
  demo.server.dataset.schools.get(SCHOOL2)!.expiry = "20301231T060000Z";
  assert.equal((await runBundleAt("+8d", [], demo.deployment)).code, 0);
  const after = await leasesTree();
  assert.notDeepEqual(after.get(`by-school/${SCHOOL2}`), before.get(`by-school/${SCHOOL2}`));
  assert.match(after.get("by-laptop/03/SHC00000003")?.toString() ?? "", / K 20301231T060000Z /);
  assert.deepEqual(after.get(`by-school/${SCHOOL1}`), before.get(`by-school/${SCHOOL1}`));
  assert.equal(
    (await readLog(demo.deployment)).find((l) => l["hostname"] === SCHOOL2 && l["reason"] === "stale")?.["action"],
    "regenerated",
  );
});

test("a failing school keeps its files byte for byte, the others go on, exit 3", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = await leasesTree();
  demo.server.dataset.schools.get(SCHOOL1)!.atRoot = true;
  demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(laptop(6));
  const result = await runBundle([], demo.deployment);
  assert.equal(result.code, 3);
  assert.equal(result.stderr, `inventario-leasegen: ${SCHOOL1}: lease info: HTTP 500 (inventario failed)\n`);
  const after = await leasesTree();
  const school1Files = [
    `by-school/${SCHOOL1}`,
    "by-laptop/01/SHC00000001",
    "by-laptop/02/SHC00000002",
    "by-laptop/07/SHC00000007",
    "by-laptop/78/SHC12345678",
  ];
  for (const path of school1Files) assert.deepEqual(after.get(path), before.get(path), path);
  assert.ok(after.has("by-laptop/06/SHC00000006"), "the other school went on");
});

test("--force regenerates every school; HOSTS limits the run and skips the school list", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = await leasesTree();
  demo.server.requests.length = 0;
  assert.equal((await runBundle(["--force", SCHOOL2], demo.deployment)).code, 0);
  assert.equal(
    demo.server.requests.some((r) => r.path.includes("list.xml")),
    false,
  );
  const after = await leasesTree();
  assert.notDeepEqual(after.get(`by-school/${SCHOOL2}`), before.get(`by-school/${SCHOOL2}`));
  assert.deepEqual(after.get(`by-school/${SCHOOL1}`), before.get(`by-school/${SCHOOL1}`));
  assert.equal((await runBundle(["--force"], demo.deployment)).code, 0);
  const forced = await leasesTree();
  assert.notDeepEqual(forced.get(`by-school/${SCHOOL1}`), before.get(`by-school/${SCHOOL1}`));
});

test("--dry-run fetches everything, prints the plan and creates, changes and deletes nothing at all", async () => {
  const empty = await runBundle(["--dry-run"], demo.deployment);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, new RegExp(`${SCHOOL1}: would regenerate \\(output missing\\), 7 laptops, expiry \\d{8}T060000Z`));
  assert.match(empty.stdout, /^dry run, nothing written: would regenerate 3 schools, 0 up to date, 0 failed; in \d+\.\d s$/m);
  assert.doesNotMatch(empty.stdout, /schools regenerated/);
  assert.deepEqual(await readdir(demo.deployment.dir).then((names) => names.sort()), ["lease.private", "lease.public", "leasegen.conf"]);

  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = [await readTree(demo.deployment.leasesDir), await readTree(demo.deployment.stateDir)];
  demo.server.dataset.schools.get(SCHOOL2)?.laptops.push(laptop(6));
  demo.server.dataset.schools.delete(SCHOOL3);
  demo.server.dataset.stolen.push(laptop(1));
  const dry = await runBundle(["--dry-run"], demo.deployment);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`${SCHOOL2}: would regenerate \\(list changed\\), 4 laptops`));
  assert.match(dry.stdout, new RegExp(`${SCHOOL1}: would regenerate \\(stolen laptop listed\\), 7 laptops`));
  assert.match(dry.stdout, new RegExp(`${SCHOOL3}: would be removed \\(no longer listed\\)`));
  assert.deepEqual([await readTree(demo.deployment.leasesDir), await readTree(demo.deployment.stateDir)], before, "log included");
});

test("state written by the Ruby program is taken over: same checksum files, nothing re-signed", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const before = await leasesTree();
  // The Ruby original wrote the bare MD5 with File.write; a fresh copy of it must count as up to date.
  const listed = demoDataset().schools.get(SCHOOL1)?.laptops as TestLaptop[];
  await import("node:fs/promises").then((fs) =>
    fs.writeFile(join(demo.deployment.stateDir, `${SCHOOL1}.checksum`), schoolChecksum(listed)),
  );
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  assert.deepEqual(await leasesTree(), before);
});

test("the log: JSON lines with ISO time and level names; start, one line per school, summary", async () => {
  assert.equal((await runBundle([], demo.deployment)).code, 0);
  const log = await readLog(demo.deployment);
  for (const line of log) {
    assert.match(String(line["time"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(["info", "warn", "error"].includes(String(line["level"])));
  }
  assert.equal(log[0]?.["msg"], "run started");
  const school = log.find((l) => l["hostname"] === SCHOOL1);
  assert.deepEqual(
    Object.keys(school ?? {}).filter((k) => ["hostname", "laptops", "action", "reason", "expiry", "signed", "ms"].includes(k)).length,
    7,
  );
  assert.equal(school?.["laptops"], 7);
  assert.equal(school?.["signed"], 5);
  assert.ok(expiryTime(String(school?.["expiry"])));
  const summary = log.at(-1);
  assert.match(String(summary?.["msg"]), /^run finished: 3 schools regenerated, 0 up to date, 0 failed; 8 leases signed in \d+\.\d s$/);
  assert.equal(summary?.["exitCode"], 0);
  assert.equal(typeof summary?.["seconds"], "number");
});
