// The client against the test inventario: auth vector, headers, path prefix, encoding, errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Hostname } from "../../src/core/domain.js";
import { InventarioError } from "../../src/errors.js";
import { basicAuthorization, InventarioClient, redirectRefusal } from "../../src/io/inventario-client.js";
import { demoDataset } from "../support/datasets.js";
import { startInventario, type TestInventario } from "../support/inventario-server.js";

let server: TestInventario;
let client: InventarioClient;
before(async () => {
  server = await startInventario(demoDataset());
  client = new InventarioClient({ site: new URL(server.url), user: "test", pass: "xxx", timeoutMs: 2000 });
});
after(async () => {
  client.close();
  await server.close();
});

const failsWith = async (promise: Promise<unknown>, status: number | undefined, message: RegExp): Promise<void> => {
  await assert.rejects(
    promise,
    (error: unknown) => error instanceof InventarioError && error.status === status && message.test(error.message),
  );
};

test("Basic auth: user and lower-case SHA-1 hex of the password (SPEC vector)", () => {
  assert.equal(basicAuthorization("test", "xxx"), "Basic dGVzdDpiNjBkMTIxYjQzOGEzODBjMzQzZDVlYzNjMjAzNzU2NGI4MmZmZWYz");
});

test("the three calls, with Accept: application/xml and auth on every request, under the site's prefix", async () => {
  server.requests.length = 0;
  const schools = await client.schoolList();
  assert.equal(schools.length, 3);
  const stolen = await client.stolenList();
  assert.deepEqual(stolen[1], { serial: "SHC10000009", uuid: null });
  const info = await client.leaseInfo(schools[0] as Hostname);
  assert.equal(info.laptops.length, 7);
  assert.match(info.expiry, /^\d{8}T060000Z$/);
  assert.deepEqual(
    server.requests.map((r) => r.path),
    [
      "/inventario/school_infos/list.xml",
      "/inventario/laptops/requestBlackList.xml",
      `/inventario/school_infos/lease_info.xml?hostname=${schools[0]}`,
    ],
  );
  for (const request of server.requests) {
    assert.equal(request.accept, "application/xml");
    assert.equal(request.authorization, basicAuthorization("test", "xxx"));
  }
});

test("the hostname is URL-encoded", async () => {
  server.requests.length = 0;
  await failsWith(client.leaseInfo("a&b=c d" as Hostname), 404, /^lease info: HTTP 404/);
  assert.equal(server.requests[0]?.path, "/inventario/school_infos/lease_info.xml?hostname=a%26b%3Dc%20d");
});

test("errors name the call and the status (the school's failure names the school, once)", async () => {
  await failsWith(client.leaseInfo("unknown.example.org" as Hostname), 404, /^lease info: HTTP 404/);
  const wrong = new InventarioClient({ site: new URL(server.url), user: "test", pass: "wrong", timeoutMs: 2000 });
  await failsWith(wrong.schoolList(), 401, /^school list: HTTP 401 \(check user and pass/);
  wrong.close();
  server.dataset.permitted = false;
  await failsWith(client.stolenList(), 403, /^stolen list: HTTP 403 .*extern system/);
  server.dataset.permitted = true;
  const hostname = "root.example.org";
  server.dataset.schools.set(hostname, { laptops: [], atRoot: true });
  await failsWith(client.leaseInfo(hostname as Hostname), 500, /HTTP 500 \(inventario failed\)/);
  server.dataset.schools.set(hostname, { laptops: [], raw: { status: 200, body: "<html><body>Login</body></html>" } });
  await failsWith(
    client.leaseInfo(hostname as Hostname),
    200,
    /^lease info: answer is not what inventario sends \(lease info.s serials-uuids is not an XML array\)/,
  );
  server.dataset.schools.delete(hostname);
});

test("a site without a server is an error naming the call", async () => {
  const nowhere = new InventarioClient({ site: new URL("http://127.0.0.1:9/inventario/"), user: "test", pass: "xxx", timeoutMs: 2000 });
  await failsWith(nowhere.schoolList(), undefined, /^school list: .*ECONNREFUSED/);
  nowhere.close();
});

test("redirects: credentials go to the configured origin only; http to https at the default ports is the one exception", () => {
  const follows = (site: string, from: string, to: string): boolean =>
    redirectRefusal(new URL(site), new URL(from), new URL(to)) === undefined;
  const site = "http://inventario.example.org/inventario/";
  // Within the origin, and the move to TLS on the same host (80 to 443), then within it.
  assert.ok(follows(site, site, "http://inventario.example.org/other/path?x=1"));
  assert.ok(follows(site, site, "http://INVENTARIO.example.org:80/inventario/"));
  assert.ok(follows(site, site, "https://inventario.example.org/inventario/"));
  assert.ok(follows(site, "https://inventario.example.org/a", "https://inventario.example.org:443/b"));
  assert.ok(follows("https://h.example:8443/", "https://h.example:8443/", "https://h.example:8443/x"));
  // Another port (CVE-2022-27776's class), host, scheme, or a downgrade.
  assert.ok(!follows(site, site, "http://inventario.example.org:18011/steal"));
  assert.ok(!follows(site, site, "https://inventario.example.org:8443/inventario/"));
  assert.ok(!follows("http://h.example:8080/", "http://h.example:8080/", "https://h.example/"));
  assert.ok(!follows("http://h.example:8080/", "http://h.example:8080/", "https://h.example:8443/"));
  assert.ok(!follows(site, site, "http://other.example.org/inventario/"));
  assert.ok(!follows(site, site, "https://other.example.org/inventario/"));
  assert.ok(!follows("http://127.0.0.1/", "http://127.0.0.1/", "http://localhost/"));
  assert.ok(!follows("https://h.example/", "https://h.example/", "http://h.example/"));
  assert.ok(!follows(site, "https://inventario.example.org/a", site), "back down to plain http");
  assert.ok(!follows(site, site, "ftp://inventario.example.org/"));
  assert.match(
    redirectRefusal(new URL(site), new URL(site), new URL("http://inventario.example.org:18011/steal")) ?? "",
    /^refusing a redirect to another host, port or scheme \(http:\/\/inventario\.example\.org:18011\): the credentials go to http:\/\/inventario\.example\.org only$/,
  );
});
