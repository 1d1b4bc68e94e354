// Issue 3 §1 and §4 through the bundle: hostile hostnames, serials, UUIDs and expiries, and
// broken answers. Each case of the corpus says what must come of it; a broken school fails
// alone with one line on stderr, and its previous files stay byte for byte.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { verify, constants } from "node:crypto";
import { laptop } from "../support/datasets.js";
import { LEASES_LOCK, makeDeployment, publicKeyOf, readLog, readTree, runBundle, type Deployment } from "../support/harness.js";
import {
  emptyDataset,
  renderLeaseInfo,
  startInventario,
  suggestedExpiry,
  type TestInventario,
  type TestSchool,
} from "../support/inventario-server.js";
import { checkCompletedRun, schoolSnapshot, shown, stderrLines } from "./issue3-helpers.js";

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("hostile hostnames in the school list", () => {
  const GOOD = "schoolserver.good.example.org";
  const PROBE = "leasegen-escape-probe";
  const hostile = [
    `../${PROBE}`,
    `../../${PROBE}`,
    `../../../${PROBE}`,
    `a/b`,
    `..`,
    `.`,
    ``,
    `school\u0000server.example.org`,
    `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`, // 255 characters: no room for its files' names
    `-bad.example.org`,
    `.hidden.example.org`,
    `school\nserver.example.org`,
    `school\u007fserver.example.org`,
    // Names that display as another: a right-to-left override, a zero-width space, a line separator.
    `schoolserver.\u202egro.elpmaxe`,
    `school\u200bserver.example.org`,
    `school\u2028server.example.org`,
  ];
  let server: TestInventario;
  let deployment: Deployment;

  before(async () => {
    const dataset = emptyDataset();
    dataset.schools.set(GOOD, { laptops: [laptop(1), laptop(2)] });
    for (const [i, hostname] of hostile.entries()) dataset.schools.set(hostname, { laptops: [laptop(100 + i)] });
    server = await startInventario(dataset);
    deployment = await makeDeployment(server.url);
    // Nested one level down, so that an escape by `..` would land inside the deployment's directory.
    await deployment.writeConfig({ leases_dir: join(deployment.dir, "out", "leases"), state_dir: join(deployment.dir, "out", "state") });
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  it("fails each hostile school naming it, does the good one, and builds no path or URL from them", async () => {
    const result = await runBundle([], deployment);
    assert.equal(result.code, 3, shown(result));
    const lines = stderrLines(result);
    assert.equal(lines.length, hostile.length, shown(result));
    for (const hostname of hostile) {
      // As stderr shows it: JSON-quoted, and DEL, C1 controls, format characters and separators escaped too.
      const named = JSON.stringify(hostname.length > 80 ? hostname.slice(0, 80) : hostname)
        .slice(1, -1)
        .replace(/[\u007f-\u009f\p{Cf}\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
      assert.ok(
        lines.some((line) => line.includes(named)),
        `no stderr line names ${JSON.stringify(hostname)}:\n${result.stderr}`,
      );
    }
    // Files only where they belong.
    assert.deepEqual((await readdir(deployment.dir)).sort(), ["lease.private", "lease.public", "leasegen.conf", "out"]);
    assert.deepEqual((await readdir(join(deployment.dir, "out"))).sort(), ["leases", "state"]);
    const state = [...(await readTree(join(deployment.dir, "out", "state"))).keys()].sort();
    assert.deepEqual(state, ["leasegen.lock", "leasegen.log", "run-record.json", `${GOOD}.checksum`, `signed/${GOOD}.json`]);
    const leases = [...(await readTree(join(deployment.dir, "out", "leases"))).keys()].sort();
    assert.deepEqual(leases, [
      LEASES_LOCK,
      "by-laptop/01/SHC00000001",
      "by-laptop/02/SHC00000002",
      `by-school/${GOOD}`,
      "stolen.csv",
      "stolen.list",
    ]);
    assert.equal(existsSync(join(deployment.dir, "..", PROBE)), false);
    // inventario was never asked about them either.
    const asked = server.requests
      .filter((r) => r.path.includes("lease_info"))
      .map((r) => new URL(r.path, "http://x").searchParams.get("hostname"));
    assert.deepEqual(asked, [GOOD]);
  });

  it("refuses a hostile hostname given on the command line too", async () => {
    const result = await runBundle(["../x,a/b"], deployment);
    assert.equal(result.code, 3, shown(result));
    assert.equal(stderrLines(result).length, 2, shown(result));
    assert.equal(existsSync(join(deployment.dir, "out", "x")), false);
  });
});

describe("hostile serials and UUIDs", () => {
  const SCHOOL = "schoolserver.serials.example.org";
  const lowerUuid = { serial: "SHC00000050", uuid: "8bf9ac40-26f8-4bcc-a699-be51fd366419" };
  const mixedUuid = { serial: "SHC00000051", uuid: "8Bf9aC40-26F8-4bcc-A699-be51FD366419" };
  // Read as the stolen list reads them: trimmed and upper-cased (issue 16 §4).
  const sloppy = { serial: " shc00000052\t", uuid: ` ${laptop(52).uuid} ` };
  const bad = [
    { serial: "SHC0000001", uuid: laptop(61).uuid, why: "10 characters" },
    { serial: "SHC000000012", uuid: laptop(62).uuid, why: "12 characters" },
    { serial: "../../../x1", uuid: laptop(63).uuid, why: "a path" },
    { serial: "SHC/0000001", uuid: laptop(64).uuid, why: "a slash" },
    { serial: "", uuid: laptop(65).uuid, why: "empty" },
    { serial: "SHC00000066", uuid: null, why: "nil UUID" },
    { serial: "SHC00000067", uuid: "ABC2", why: "short UUID" },
    { serial: "SHC00000068", uuid: "8BF9AC40-26F8-4BCC-A699-BE51FD36641", why: "35 characters" },
    { serial: "SHC00000069", uuid: "GBF9AC40-26F8-4BCC-A699-BE51FD366419", why: "not hex" },
    { serial: "SHC00000070", uuid: "8BF9AC4026F84BCCA699BE51FD366419ABCD", why: "no hyphens" },
    { serial: "SHC00000071", uuid: " 8BF9AC40-26F8-4BCC-A699-BE51FD36641", why: "leading space" },
  ];
  let server: TestInventario;
  let deployment: Deployment;

  before(async () => {
    const dataset = emptyDataset();
    const laptops = [laptop(1), laptop(2), lowerUuid, mixedUuid, sloppy, ...bad.map(({ serial, uuid }) => ({ serial, uuid }))];
    dataset.schools.set(SCHOOL, { laptops });
    server = await startInventario(dataset);
    deployment = await makeDeployment(server.url);
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  it("skips the bad laptops with one warning counting them, signs the rest, keeps UUIDs byte for byte", async () => {
    const result = await runBundle([], deployment);
    assert.equal(result.code, 0, shown(result));
    const warnings = (await readLog(deployment)).filter((line) => line["level"] === "warn");
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    const warning = warnings[0] ?? {};
    assert.deepEqual(
      [warning["hostname"], warning["skipped"], warning["badSerial"], warning["noUuid"], warning["badUuid"]],
      [SCHOOL, bad.length, 5, 1, 5],
    );
    assert.match(String(warning["msg"]), /^schoolserver\.serials\.example\.org: laptops skipped, they get no lease: 5 with a serial/);
    const contents = await checkCompletedRun(deployment.leasesDir);
    const signed = [...(contents.schools.get(SCHOOL)?.keys() ?? [])];
    assert.deepEqual(signed, ["SHC00000001", "SHC00000002", "SHC00000050", "SHC00000051", "SHC00000052"]);
    assert.deepEqual([...contents.laptops.keys()].sort(), signed);
    assert.ok(contents.laptops.get("SHC00000052")?.startsWith("act01: SHC00000052 K "), "the lease carries the serial normalised");
    const key = await publicKeyOf(deployment.keyPath);
    for (const { serial, uuid } of [lowerUuid, mixedUuid, { serial: "SHC00000052", uuid: laptop(52).uuid }]) {
      const line = contents.laptops.get(serial) as string;
      const [, , , expiry, , , , signature] = line.trimEnd().split(" ");
      const message = Buffer.from(`${serial}:${uuid}:K:${expiry}`, "ascii");
      const options = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8 };
      assert.ok(verify("sha256", message, options, Buffer.from(signature as string, "hex")), `${serial}: not signed over its UUID as sent`);
    }
    // Nothing was made from a bad serial.
    const paths = [...(await readTree(deployment.dir)).keys()];
    assert.ok(!paths.some((path) => path.includes("x1") || path.includes("shc")), paths.join("\n"));
  });
});

describe("broken answers for one school", () => {
  const VICTIM = "schoolserver.victim.example.org";
  const OTHER = "schoolserver.other.example.org";
  let server: TestInventario;
  let deployment: Deployment;
  let refusedPort: number;
  let extra = 1000;

  before(async () => {
    const dataset = emptyDataset();
    dataset.schools.set("schoolserver.alpha.example.org", { laptops: [laptop(1)] });
    dataset.schools.set(VICTIM, { laptops: [laptop(2), laptop(3), laptop(4)] });
    dataset.schools.set(OTHER, { laptops: [laptop(5)] });
    server = await startInventario(dataset);
    deployment = await makeDeployment(server.url, { http_timeout: "1" });
    refusedPort = await closedPort();
    const first = await runBundle([], deployment);
    assert.equal(first.code, 0, shown(first));
  });
  after(async () => {
    await server.close();
    await deployment.remove();
  });

  const expiry = suggestedExpiry();
  const goodXml = (): string => renderLeaseInfo([laptop(2), laptop(3), laptop(4)], expiry);
  const raw = (status: number, body: string, more: Partial<NonNullable<TestSchool["raw"]>> = {}): Partial<TestSchool> => ({
    raw: { status, body, ...more },
  });
  const bomb =
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<hash><expiry-date>&lol3;</expiry-date></hash>';
  const corpus: { name: string; change: () => Partial<TestSchool>; says: RegExp }[] = [
    {
      name: "HTML instead of XML",
      change: () => raw(200, "<!DOCTYPE html>\n<html><body><p>Maintenance</p></body></html>", { contentType: "text/html" }),
      says: /XML/,
    },
    { name: "XHTML-like well-formed page", change: () => raw(200, "<html><body><p>Maintenance</p></body></html>"), says: /serials-uuids/ },
    { name: "plain text", change: () => raw(200, "OK"), says: /XML/ },
    { name: "empty body", change: () => raw(200, ""), says: /XML/ },
    { name: "truncated XML", change: () => raw(200, goodXml().slice(0, Math.floor(goodXml().length / 2))), says: /XML/ },
    {
      name: "wrong shape: a school list",
      change: () => raw(200, '<strings type="array"><string>a</string></strings>'),
      says: /lease info/,
    },
    {
      name: "wrong shape: laptops not an array",
      change: () => raw(200, `<hash><serials-uuids><a>b</a></serials-uuids><expiry-date>${expiry}</expiry-date></hash>`),
      says: /array/,
    },
    {
      name: "wrong shape: no expiry",
      change: () => raw(200, '<hash><serials-uuids type="array"/></hash>'),
      says: /expiry-date/,
    },
    { name: "DTD with an entity bomb", change: () => raw(200, bomb), says: /DTD/ },
    // Rails never repeats an element of a hash: a repetition is not "the last one wins".
    {
      name: "a second, empty laptop list",
      change: () => raw(200, goodXml().replace("</hash>", '  <serials-uuids type="array"/>\n</hash>')),
      says: /<serials-uuids> repeated in <hash>/,
    },
    {
      name: "a second expiry",
      change: () => raw(200, goodXml().replace("</hash>", "  <expiry-date>20991231T060000Z</expiry-date>\n</hash>")),
      says: /<expiry-date> repeated in <hash>/,
    },
    {
      name: "a laptop with two serial numbers",
      change: () => raw(200, goodXml().replace("</serial-number>", `</serial-number><serial-number>${laptop(9).serial}</serial-number>`)),
      says: /<serial-number> repeated in <serials-uuid>/,
    },
    { name: "expiry in the past", change: () => ({ expiry: "20130315T060000Z" }), says: /past/ },
    { name: "expiry not a real date", change: () => ({ expiry: "20990231T060000Z" }), says: /real date/ },
    { name: "expiry never", change: () => ({ expiry: "00000000T000000Z" }), says: /real date/ },
    { name: "expiry in another format", change: () => ({ expiry: "2099-01-01" }), says: /expiry/ },
    { name: "expiry with trailing junk", change: () => ({ expiry: `${expiry} ` }), says: /expiry/ },
    { name: "500 (school at the root)", change: () => ({ atRoot: true }), says: /HTTP 500/ },
    { name: "502", change: () => raw(502, "Bad Gateway"), says: /HTTP 502/ },
    { name: "404", change: () => raw(404, "<html><body>Not Found</body></html>"), says: /HTTP 404/ },
    { name: "401", change: () => raw(401, "HTTP Basic: Access denied.\n"), says: /HTTP 401/ },
    { name: "403", change: () => raw(403, "Access denied"), says: /HTTP 403/ },
    { name: "timeout", change: () => ({ delayMs: 3000 }), says: /within 1 s/ },
    {
      name: "redirect to another port (refused: credentials go to the configured origin only)",
      change: () => raw(302, "", { headers: { Location: `http://127.0.0.1:${refusedPort}/inventario/x.xml` } }),
      says: /refusing a redirect to another host, port or scheme/,
    },
    {
      name: "redirect loop",
      change: () => raw(302, "", { headers: { Location: `${server.url}school_infos/lease_info.xml?hostname=${VICTIM}` } }),
      says: /redirects/,
    },
  ];

  for (const testCase of corpus) {
    it(`${testCase.name}: fails that school alone, its files untouched`, async () => {
      const victim = server.dataset.schools.get(VICTIM) as TestSchool;
      const saved = { ...victim };
      const before = await schoolSnapshot(deployment, VICTIM);
      // Another school changes in the same run, to show that the run goes on.
      extra += 1;
      server.dataset.schools.get(OTHER)?.laptops.push(laptop(extra));
      Object.assign(victim, testCase.change());
      try {
        const result = await runBundle([], deployment);
        assert.equal(result.code, 3, shown(result));
        const lines = stderrLines(result);
        assert.equal(lines.length, 1, shown(result));
        assert.ok(lines[0]?.includes(VICTIM), shown(result));
        assert.match(lines[0] as string, testCase.says);
        assert.deepEqual(await schoolSnapshot(deployment, VICTIM), before);
        const contents = await checkCompletedRun(deployment.leasesDir);
        assert.ok(contents.schools.get(OTHER)?.has(laptop(extra).serial), "the other school was not done");
      } finally {
        for (const key of Object.keys(victim)) delete (victim as unknown as Record<string, unknown>)[key];
        Object.assign(victim, saved);
      }
    });
  }

  it("an unreachable inventario: exit 4, one line, nothing changed", async () => {
    const before = await readTree(deployment.leasesDir);
    await deployment.writeConfig({ http_timeout: "1", site: `http://127.0.0.1:${refusedPort}/inventario/` });
    try {
      const result = await runBundle([], deployment);
      assert.equal(result.code, 4, shown(result));
      assert.ok(stderrLines(result).length <= 2, shown(result));
      assert.match(result.stderr, /ECONNREFUSED|refused/);
      assert.deepEqual(await readTree(deployment.leasesDir), before);
    } finally {
      await deployment.writeConfig({ http_timeout: "1" });
    }
  });

  it("the victim's files are still those of the first run", async () => {
    const text = await readFile(join(deployment.leasesDir, "by-school", VICTIM), "latin1");
    assert.ok(text.startsWith('[1,{"SHC00000002":"act01: SHC00000002 K '));
  });
});
