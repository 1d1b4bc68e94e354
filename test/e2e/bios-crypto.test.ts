// The bios-crypto signer through the bundle, with test/fixtures/bios-crypto/make-lease.sh: a
// stand-in that behaves like the real script (it cannot write to a socket stdout) and signs
// with the openssl CLI, or fails in the ways chosen by FAKE_MAKE_LEASE.
import assert from "node:assert/strict";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import { readSchoolFile } from "../../src/core/canonical-json.js";
import { verifyLeaseSignature } from "../../src/signers/lease-signature.js";
import { VECTOR_LAPTOP, laptop } from "../support/datasets.js";
import { makeDeployment, publicKeyOf, readLog, readTree, runBundle, ROOT, type Deployment } from "../support/harness.js";
import { emptyDataset, startInventario, type TestInventario } from "../support/inventario-server.js";

const FAKE_DIR = join(ROOT, "test", "fixtures", "bios-crypto");
const SCHOOL = "schoolserver.escuela9.example.org";

let server: TestInventario;
let deployment: Deployment;
beforeEach(async () => {
  const dataset = emptyDataset();
  dataset.schools.set(SCHOOL, { laptops: [VECTOR_LAPTOP, laptop(1), laptop(2), laptop(3)], expiry: "20300101T000000Z" });
  server = await startInventario(dataset);
  deployment = await makeDeployment(server.url, { signer: "bios-crypto", bios_crypto_path: FAKE_DIR });
});
afterEach(async () => {
  await server.close();
  await deployment.remove();
});

test("leases from make-lease.sh, called with an argument vector and an output file, verify", async () => {
  const calls = join(deployment.dir, "calls.log");
  const result = await runBundle([], deployment, { FAKE_MAKE_LEASE_LOG: calls });
  assert.equal(result.code, 0, result.stderr);
  const leases = readSchoolFile(await readFile(join(deployment.leasesDir, "by-school", SCHOOL), "latin1"));
  const publicKey = await publicKeyOf(deployment.keyPath);
  for (const l of [VECTOR_LAPTOP, laptop(1), laptop(2), laptop(3)]) {
    const fields = (leases.get(l.serial) ?? "").trimEnd().split(" ");
    assert.equal(verifyLeaseSignature(publicKey, `${l.serial}:${l.uuid}:K:20300101T000000Z`, fields[7] as string), true, l.serial);
  }
  const lines = (await readFile(calls, "utf8")).trim().split("\n").sort();
  assert.equal(lines.length, 4);
  assert.match(
    lines[3] as string,
    new RegExp(`^--signingkey ${deployment.keyPath} SHC12345678 ${VECTOR_LAPTOP.uuid} 20300101T000000Z /\\S+$`),
  );
  const scratch = [...(await readTree(deployment.stateDir)).keys()].filter((p) => p.includes("make-lease"));
  assert.deepEqual(scratch, [], "scratch files removed");
});

test("scratch folders left by a run killed while signing are removed by the next run", async () => {
  await mkdir(join(deployment.stateDir, ".make-lease-Ab12Cd", "sub"), { recursive: true });
  await writeFile(join(deployment.stateDir, ".make-lease-Ab12Cd", "0.sig"), "half a lea");
  assert.equal((await runBundle([], deployment)).code, 0);
  assert.deepEqual(
    [...(await readTree(deployment.stateDir)).keys()].filter((p) => p.includes("make-lease")),
    [],
  );
});

test("a checkout whose build/ holds make-lease.sh is found", async () => {
  const checkout = join(deployment.dir, "bios-crypto");
  await mkdir(join(checkout, "build"), { recursive: true });
  await cp(FAKE_DIR, join(checkout, "build"), { recursive: true });
  await deployment.writeConfig({ signer: "bios-crypto", bios_crypto_path: checkout });
  assert.equal((await runBundle([], deployment)).code, 0);
  assert.equal([...(await readTree(deployment.leasesDir)).keys()].filter((p) => p.startsWith("by-laptop/")).length, 4);
});

test("no make-lease.sh where configured: exit 4 saying where it looked", async () => {
  await deployment.writeConfig({ signer: "bios-crypto", bios_crypto_path: join(deployment.dir, "nowhere") });
  const result = await runBundle([], deployment);
  assert.equal(result.code, 4);
  assert.match(result.stderr, /make-lease\.sh not found in .*nowhere nor its build\//);
});

test("a lease for another laptop, a failing script, or garbage fails the school and keeps its files", async () => {
  assert.equal((await runBundle([], deployment)).code, 0);
  const before = await readTree(deployment.leasesDir);
  const faults: [string, RegExp][] = [
    ["fixed", /laptop SHC00000001: make-lease\.sh did not print one well-formed lease line for it/],
    ["fail", /make-lease\.sh exited with status 1/],
    ["garbage", /did not print one well-formed lease line/],
  ];
  for (const [fault, message] of faults) {
    const result = await runBundle(["--force"], deployment, { FAKE_MAKE_LEASE: fault });
    assert.equal(result.code, 3, fault);
    assert.match(result.stderr, message, fault);
    assert.deepEqual(await readTree(deployment.leasesDir), before, fault);
  }
  const log = await readLog(deployment);
  assert.ok(
    log.some((l) => l["stderr"] === "sig01: cannot open key" && l["level"] === "warn"),
    "the script's stderr goes to the log",
  );
});

/** The pids among these that still belong to a live process (a zombie counts as gone). */
async function alive(pids: readonly number[]): Promise<number[]> {
  const states = await Promise.all(
    pids.map(async (pid) => (await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")).replace(/^.*\) /s, "").slice(0, 1)),
  );
  return pids.filter((_, i) => states[i] !== "" && states[i] !== "Z");
}

test("a hanging make-lease.sh: its whole process group is killed after bios_crypto_timeout, and the run fails fast", async () => {
  const schools = Array.from({ length: 8 }, (_, i) => `schoolserver.hang${i + 1}.example.org`);
  server.dataset.schools.clear();
  schools.forEach((hostname, i) => server.dataset.schools.set(hostname, { laptops: [laptop(10 + i)], expiry: "20300101T000000Z" }));
  await deployment.writeConfig({ signer: "bios-crypto", bios_crypto_path: FAKE_DIR, bios_crypto_timeout: "1" });
  const calls = join(deployment.dir, "calls.log");
  const pidFile = join(deployment.dir, "pids");
  let pids: number[] = [];
  try {
    const result = await runBundle([], deployment, { FAKE_MAKE_LEASE: "hang", FAKE_MAKE_LEASE_LOG: calls, FAKE_MAKE_LEASE_PIDS: pidFile });
    pids = (await readFile(pidFile, "utf8")).trim().split(/\s+/).map(Number);
    assert.equal(result.code, 3, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, schools.length, result.stderr);
    for (const hostname of schools) assert.equal(lines.filter((line) => line.includes(`${hostname}: laptop SHC`)).length, 1, hostname);
    assert.ok(lines.some((line) => /make-lease\.sh timed out after 1 s \(bios_crypto_timeout\); it was killed/.test(line)));
    const failedAtOnce = lines.filter((line) =>
      /not signed: make-lease\.sh timed out after 1 s \(bios_crypto_timeout\) for laptop SHC/.test(line),
    );
    // Without failing fast, each of the 8 schools would start its own make-lease.sh and wait 1 s.
    const starts = (await readFile(calls, "utf8")).trim().split("\n").length;
    assert.ok(starts >= 1 && starts < schools.length, `${starts} make-lease.sh started`);
    assert.ok(failedAtOnce.length >= schools.length - starts, result.stderr);
    assert.equal(pids.length, starts * 3, "each start recorded its script and its two sleeps");
    // SIGKILL is sent before the run ends; give the kernel a moment to finish the processes off.
    for (let i = 0; i < 50 && (await alive(pids)).length > 0; i += 1) await sleep(100);
    assert.deepEqual(await alive(pids), [], "no process of make-lease.sh survives");
    assert.deepEqual(
      [...(await readTree(deployment.leasesDir)).keys()].filter((p) => p.startsWith("by-")),
      [],
    );
  } finally {
    for (const pid of await alive(pids)) process.kill(pid, "SIGKILL");
  }
});
