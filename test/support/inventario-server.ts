// A test inventario: a node:http server on 127.0.0.1 answering the calls of SPEC §2 the way
// the real Rails application does (same XML bytes as its serializer, same error statuses),
// from a dataset the test owns and may change between runs. Also used by `make demo` and
// `make bench`.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface TestLaptop {
  serial: string;
  uuid: string | null;
}

export interface TestSchool {
  laptops: TestLaptop[];
  /** Defaults to 21 days from now at 06:00 UTC, as inventario suggests. */
  expiry?: string;
  /** The real server fails with 500 for a school placed at the root of the place tree. */
  atRoot?: boolean;
  /** Replaces the answer for this school: any status and body (hostile-server tests). */
  raw?: { status: number; body: string; contentType?: string; headers?: Record<string, string> };
  /** Delays the answer (timeout tests). */
  delayMs?: number;
}

export interface Dataset {
  user: string;
  pass: string;
  /** Holds the "extern system" role; other accounts get 403. */
  permitted: boolean;
  schools: Map<string, TestSchool>;
  stolen: TestLaptop[];
  /** Replaces the school list or stolen list answer. */
  rawSchoolList?: { status: number; body: string };
  rawStolenList?: { status: number; body: string };
}

export interface RequestRecord {
  path: string;
  authorization: string | undefined;
  accept: string | undefined;
}

export interface TestInventario {
  readonly url: string;
  readonly dataset: Dataset;
  readonly requests: RequestRecord[];
  close(): Promise<void>;
}

export function emptyDataset(): Dataset {
  return { user: "test", pass: "xxx", permitted: true, schools: new Map(), stolen: [] };
}

/** 21 days ahead at 06:00 UTC, rendered as inventario does. */
export function suggestedExpiry(now = new Date()): string {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 21, 6));
  return day
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

// Rails to_xml rendering (Builder escapes &, <, > and " in text).
const esc = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const PREFIX = "/inventario/";
const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

function textElement(tag: string, value: string | null, indent: string): string {
  return value === null ? `${indent}<${tag} nil="true"/>\n` : `${indent}<${tag}>${esc(value)}</${tag}>\n`;
}

function laptopElements(tag: string, laptops: readonly TestLaptop[], indent: string): string {
  return laptops
    .map(
      (laptop) =>
        `${indent}<${tag}>\n${textElement("serial-number", laptop.serial, `${indent}  `)}${textElement("uuid", laptop.uuid, `${indent}  `)}${indent}</${tag}>\n`,
    )
    .join("");
}

export function renderSchoolList(hostnames: readonly string[]): string {
  if (hostnames.length === 0) return `${HEAD}<nil-classes type="array"/>\n`;
  return `${HEAD}<strings type="array">\n${hostnames.map((h) => textElement("string", h, "  ")).join("")}</strings>\n`;
}

export function renderStolenList(laptops: readonly TestLaptop[]): string {
  if (laptops.length === 0) return `${HEAD}<nil-classes type="array"/>\n`;
  return `${HEAD}<objects type="array">\n${laptopElements("object", laptops, "  ")}</objects>\n`;
}

export function renderLeaseInfo(laptops: readonly TestLaptop[], expiry: string): string {
  const list =
    laptops.length === 0
      ? `  <serials-uuids type="array"/>\n`
      : `  <serials-uuids type="array">\n${laptopElements("serials-uuid", laptops, "    ")}  </serials-uuids>\n`;
  return `${HEAD}<hash>\n${list}${textElement("expiry-date", expiry, "  ")}</hash>\n`;
}

function authorized(dataset: Dataset, header: string | undefined): boolean {
  const digest = createHash("sha1").update(dataset.pass).digest("hex");
  return header === `Basic ${Buffer.from(`${dataset.user}:${digest}`).toString("base64")}`;
}

function answer(dataset: Dataset, request: IncomingMessage, response: ServerResponse): void | Promise<void> {
  const url = new URL(request.url ?? "/", "http://inventario.test");
  const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { "Content-Type": "application/xml; charset=utf-8", ...headers });
    response.end(body);
  };
  if (!authorized(dataset, request.headers.authorization)) {
    return send(401, "HTTP Basic: Access denied.\n", {
      "WWW-Authenticate": 'Basic realm="Application"',
      "Content-Type": "text/html; charset=utf-8",
    });
  }
  if (!dataset.permitted) return send(403, "Access denied: you lack the permission for this action\n", { "Content-Type": "text/plain" });
  // Everything lives under /inventario/, so a client that drops the site's path prefix gets 404.
  const path = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : "";
  if (path === "laptops/requestBlackList.xml") {
    const raw = dataset.rawStolenList;
    return raw ? send(raw.status, raw.body) : send(200, renderStolenList(dataset.stolen));
  }
  if (path === "school_infos/list.xml") {
    const raw = dataset.rawSchoolList;
    return raw ? send(raw.status, raw.body) : send(200, renderSchoolList([...dataset.schools.keys()]));
  }
  if (path === "school_infos/lease_info.xml") {
    const school = dataset.schools.get(url.searchParams.get("hostname") ?? "");
    if (!school) return send(404, "<html><body>Not Found</body></html>", { "Content-Type": "text/html" });
    const reply = (): void => {
      if (school.raw)
        return send(school.raw.status, school.raw.body, {
          ...(school.raw.contentType ? { "Content-Type": school.raw.contentType } : {}),
          ...school.raw.headers,
        });
      if (school.atRoot)
        return send(500, "<html><body>We're sorry, but something went wrong.</body></html>", { "Content-Type": "text/html" });
      return send(200, renderLeaseInfo(school.laptops, school.expiry ?? suggestedExpiry()));
    };
    if (school.delayMs) return new Promise((resolve) => setTimeout(() => resolve(reply()), school.delayMs).unref());
    return reply();
  }
  return send(404, "<html><body>Not Found</body></html>", { "Content-Type": "text/html" });
}

/** PEM key and certificate: the server then speaks https. */
export interface TlsIdentity {
  key: string | Buffer;
  cert: string | Buffer;
}

/** Starts the server on 127.0.0.1 (a free port unless given); close() stops it. */
export async function startInventario(dataset: Dataset = emptyDataset(), port = 0, tls?: TlsIdentity): Promise<TestInventario> {
  const requests: RequestRecord[] = [];
  const listener: RequestListener = (request, response) => {
    requests.push({ path: request.url ?? "", authorization: request.headers.authorization, accept: request.headers.accept });
    void Promise.resolve(answer(dataset, request, response)).catch(() => response.destroy());
  };
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener) : createServer(listener);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${address.port}${PREFIX}`,
    dataset,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
