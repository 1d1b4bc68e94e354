// Issue 3 §5 and issue 15 §4 through the bundle: redirects only within the configured origin
// (scheme, host and port; http to https on the same host at the default ports allowed, a
// downgrade refused), so credentials never go anywhere else, TLS verified with ca_file for a
// private CA, and no secret (password, its SHA-1, the Authorization value, the private key) in
// the log, on stdout or on stderr, whatever happens.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laptop } from "../support/datasets.js";
import { makeDeployment, readTree, runBundle, type Deployment, type RunResult } from "../support/harness.js";
import { emptyDataset, startInventario, type Dataset, type TestInventario, type TlsIdentity } from "../support/inventario-server.js";
import { checkCompletedRun, shown } from "./issue3-helpers.js";

const PASS = "Zq7-unusual-Passw0rd-41d";
const SCHOOL = "schoolserver.redirected.example.org";

function dataset(): Dataset {
  const data = emptyDataset();
  data.pass = PASS;
  data.schools.set(SCHOOL, { laptops: [laptop(1), laptop(2)] });
  data.schools.set("schoolserver.plain.example.org", { laptops: [laptop(3)] });
  return data;
}

/** A private CA and a certificate for 127.0.0.1 and localhost signed by it, made with openssl. */
async function makeCa(dir: string): Promise<{ caFile: string; identity: TlsIdentity }> {
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync("openssl", args, { stdio: "ignore" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    at("ca.key"),
    "-out",
    at("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=leasegen test CA",
  );
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=127.0.0.1");
  await writeFile(at("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    at("server.csr"),
    "-CA",
    at("ca.pem"),
    "-CAkey",
    at("ca.key"),
    "-CAcreateserial",
    "-out",
    at("server.pem"),
    "-days",
    "2",
    "-extfile",
    at("san.ext"),
  );
  return { caFile: at("ca.pem"), identity: { key: await readFile(at("server.key")), cert: await readFile(at("server.pem")) } };
}

describe("http hygiene", () => {
  let tlsDir: string;
  let caFile: string;
  let identity: TlsIdentity;
  let main: TestInventario;
  let other: TestInventario;
  let secure: TestInventario;
  let deployment: Deployment;
  const results: RunResult[] = [];
  const run = async (args: string[] = []): Promise<RunResult> => {
    const result = await runBundle(args, deployment);
    results.push(result);
    return result;
  };
  const redirectTo = (location: string): void => {
    const school = main.dataset.schools.get(SCHOOL);
    if (school) school.raw = { status: 302, body: "", headers: { Location: location } };
  };
  const leaseInfoPath = `school_infos/lease_info.xml?hostname=${SCHOOL}`;

  before(async () => {
    tlsDir = await mkdtemp(join(tmpdir(), "leasegen-tls-"));
    const ca = await makeCa(tlsDir);
    caFile = ca.caFile;
    identity = ca.identity;
    main = await startInventario(dataset());
    other = await startInventario(dataset());
    secure = await startInventario(dataset(), 0, ca.identity);
    deployment = await makeDeployment(main.url, { pass: PASS });
  });
  after(async () => {
    await Promise.all([main.close(), other.close(), secure.close()]);
    await deployment.remove();
    await rm(tlsDir, { recursive: true, force: true });
  });

  it("refuses a redirect to another port of the same host: the listener there gets no request", async () => {
    await run(["--force"]);
    const schoolFile = (): Promise<Buffer | undefined> => readTree(deployment.leasesDir).then((tree) => tree.get(`by-school/${SCHOOL}`));
    const leases = await schoolFile();
    assert.ok(leases);
    const before = other.requests.length;
    redirectTo(`${other.url}${leaseInfoPath}`);
    const result = await run(["--force"]);
    assert.equal(result.code, 3, shown(result));
    assert.match(
      result.stderr,
      new RegExp(`${SCHOOL}.*refusing a redirect to another host, port or scheme \\(http://127\\.0\\.0\\.1:${new URL(other.url).port}\\)`),
    );
    assert.equal(other.requests.length, before, "the other port was contacted");
    assert.deepEqual(await schoolFile(), leases, "the school's file stays as it was");
    assert.ok((await checkCompletedRun(deployment.leasesDir)).schools.get(SCHOOL)?.has(laptop(1).serial));
  });

  it("refuses a redirect to another host name, and sends it nothing", async () => {
    const before = other.requests.length;
    redirectTo(`http://localhost:${new URL(other.url).port}/inventario/${leaseInfoPath}`);
    const result = await run(["--force"]);
    assert.equal(result.code, 3, shown(result));
    assert.match(result.stderr, new RegExp(`${SCHOOL}.*refusing a redirect to another host`));
    assert.equal(other.requests.length, before, "the other host was contacted");
  });

  it("refuses a redirect from localhost to 127.0.0.1 too (host names are compared, not addresses)", async () => {
    await deployment.writeConfig({ pass: PASS, site: `http://localhost:${new URL(main.url).port}/inventario/` });
    try {
      const before = other.requests.length;
      redirectTo(`${other.url}${leaseInfoPath}`);
      const result = await run(["--force"]);
      assert.equal(result.code, 3, shown(result));
      assert.match(result.stderr, /refusing a redirect/);
      assert.equal(other.requests.length, before);
      // The control: localhost does reach the other server, so the refusal above is the client's.
      await deployment.writeConfig({ pass: PASS, site: `http://localhost:${new URL(other.url).port}/inventario/` });
      const direct = await run(["--force"]);
      assert.equal(direct.code, 0, shown(direct));
      assert.ok(other.requests.length > before);
    } finally {
      await deployment.writeConfig({ pass: PASS });
    }
  });

  it("verifies TLS: refuses a private CA's certificate without ca_file, trusts it with", async () => {
    await deployment.writeConfig({ pass: PASS, site: secure.url });
    try {
      const refused = await run(["--force"]);
      assert.equal(refused.code, 4, shown(refused));
      assert.match(refused.stderr, /certificate/i);
      assert.equal(secure.requests.length, 0, "a request got through an unverified connection");
      await deployment.writeConfig({ pass: PASS, site: secure.url, ca_file: caFile });
      const trusted = await run(["--force"]);
      assert.equal(trusted.code, 0, shown(trusted));
      assert.ok(secure.requests.some((r) => r.path.includes("lease_info")));
    } finally {
      await deployment.writeConfig({ pass: PASS });
    }
  });

  it("refuses an upgrade to https on another port, and a downgrade to http", async () => {
    await deployment.writeConfig({ pass: PASS, ca_file: caFile });
    try {
      const secureBefore = secure.requests.length;
      redirectTo(`${secure.url}${leaseInfoPath}`);
      const upgraded = await run(["--force"]);
      assert.equal(upgraded.code, 3, shown(upgraded));
      assert.match(upgraded.stderr, /refusing a redirect to another host, port or scheme \(https:/);
      assert.equal(secure.requests.length, secureBefore);
      // Now from the https site, a redirect down to plain http on the same host.
      await deployment.writeConfig({ pass: PASS, ca_file: caFile, site: secure.url });
      const school = secure.dataset.schools.get(SCHOOL);
      if (school) school.raw = { status: 302, body: "", headers: { Location: `${other.url}${leaseInfoPath}` } };
      const before = other.requests.length;
      const downgraded = await run(["--force"]);
      assert.equal(downgraded.code, 3, shown(downgraded));
      assert.match(downgraded.stderr, /refusing a redirect to plain http/);
      assert.equal(other.requests.length, before);
    } finally {
      delete secure.dataset.schools.get(SCHOOL)?.raw;
      delete main.dataset.schools.get(SCHOOL)?.raw;
      await deployment.writeConfig({ pass: PASS });
    }
  });

  it("follows http to https on the same host at the default ports (80 to 443), credentials included", async (t) => {
    if (process.getuid?.() !== 0) return void t.skip("needs root to listen on ports 80 and 443 of 127.0.0.1");
    const servers: TestInventario[] = [];
    try {
      for (const start of [() => startInventario(dataset(), 80), () => startInventario(dataset(), 443, identity)])
        servers.push(await start());
    } catch (error) {
      await Promise.all(servers.map((server) => server.close()));
      return void t.skip(`cannot listen on port 80 or 443 of 127.0.0.1 here: ${(error as Error).message}`);
    }
    const [plain, tls] = servers as [TestInventario, TestInventario];
    try {
      assert.equal(new URL(plain.url).port, "", "the default port");
      const school = plain.dataset.schools.get(SCHOOL);
      if (school) school.raw = { status: 301, body: "", headers: { Location: `https://127.0.0.1/inventario/${leaseInfoPath}` } };
      await deployment.writeConfig({ pass: PASS, ca_file: caFile, site: plain.url });
      const result = await run(["--force", SCHOOL]);
      assert.equal(result.code, 0, shown(result));
      const followed = tls.requests.filter((r) => r.path.includes("lease_info"));
      assert.equal(followed.length, 1);
      assert.ok(followed[0]?.authorization?.startsWith("Basic "));
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await deployment.writeConfig({ pass: PASS });
    }
  });

  it("shows no secret in the log, on stdout or stderr, over good and failing runs", async () => {
    const ok = await run(["--force"]);
    assert.equal(ok.code, 0, shown(ok));
    await run(["--dry-run", "--force"]);
    // 401 on a school only, then on everything; 403; a wrong password; a school 500.
    main.dataset.schools.get(SCHOOL)!.raw = { status: 401, body: "HTTP Basic: Access denied.\n" };
    await run(["--force"]);
    delete main.dataset.schools.get(SCHOOL)!.raw;
    main.dataset.pass = "not-the-configured-one";
    assert.equal((await run()).code, 4);
    main.dataset.pass = PASS;
    main.dataset.permitted = false;
    assert.equal((await run()).code, 4);
    main.dataset.permitted = true;
    main.dataset.schools.get(SCHOOL)!.atRoot = true;
    assert.equal((await run(["--force"])).code, 3);
    delete main.dataset.schools.get(SCHOOL)!.atRoot;
    // Unverifiable TLS, an unreachable site, a config error, a key the program refuses.
    await deployment.writeConfig({ pass: PASS, site: secure.url });
    await run();
    await deployment.writeConfig({ pass: PASS, site: "http://127.0.0.1:9/inventario/", http_timeout: "1" });
    await run();
    await deployment.writeConfig({ pass: PASS, bogus_key: PASS });
    assert.equal((await run()).code, 2);
    await deployment.writeConfig({ pass: PASS });
    const privateDer = await readFile(`${deployment.keyPath}.private`);
    await writeFile(`${deployment.keyPath}.private`, privateDer.subarray(0, 200));
    assert.equal((await run()).code, 4);
    await writeFile(`${deployment.keyPath}.private`, privateDer);
    assert.equal((await run(["--force"])).code, 0);

    const sha1 = createHash("sha1").update(PASS).digest("hex");
    const basic = Buffer.from(`test:${sha1}`).toString("base64");
    const jwk = createPrivateKey({ key: privateDer, format: "der", type: "pkcs1" }).export({ format: "jwk" });
    const secrets: Record<string, string> = {
      password: PASS,
      "password SHA-1": sha1,
      "password SHA-1 (upper case)": sha1.toUpperCase(),
      "Authorization value": basic,
      "private key DER (hex)": privateDer.toString("hex").slice(0, 64),
      "private key DER (base64)": privateDer.toString("base64").slice(0, 64),
      "private exponent (hex)": Buffer.from(jwk.d as string, "base64url")
        .toString("hex")
        .slice(0, 64),
      "private exponent (base64url)": (jwk.d as string).slice(0, 64),
      "prime p (hex)": Buffer.from(jwk.p as string, "base64url")
        .toString("hex")
        .slice(0, 64),
    };
    const log = await readFile(join(deployment.stateDir, "leasegen.log"), "utf8");
    const outputs = {
      log,
      ...Object.fromEntries(
        results.flatMap((r, i) => [
          [`stdout ${i}`, r.stdout],
          [`stderr ${i}`, r.stderr],
        ]),
      ),
    };
    assert.ok(results.length >= 15 && log.length > 0);
    for (const [where, text] of Object.entries(outputs)) {
      for (const [what, secret] of Object.entries(secrets)) assert.ok(!text.includes(secret), `${what} appears in ${where}`);
    }
  });
});
