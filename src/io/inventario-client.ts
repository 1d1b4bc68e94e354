// inventario's API (SPEC §2): GET with Basic auth on every request, Rails XML answers.
// Redirects are followed by hand, only within the configured origin, so credentials never leave it.
import { createHash } from "node:crypto";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import fetch, { type Response } from "node-fetch";
import { readLeaseInfo, readSchoolList, readStolenList, type LeaseInfo, type RawLaptop } from "../core/inventario-answers.js";
import { parseRailsXml, type RailsValue } from "../core/rails-xml.js";
import type { Hostname } from "../core/domain.js";
import { InventarioError, describe } from "../errors.js";

export interface InventarioOptions {
  readonly site: URL;
  readonly user: string;
  readonly pass: string;
  readonly timeoutMs: number;
  /** PEM text of an extra CA to trust. */
  readonly extraCa?: string | undefined;
  /** The run's interruption: aborts the requests under way, and fails any later one at once. */
  readonly stop?: AbortSignal | undefined;
}

/** The three calls the program makes; an interface so the run can be driven without a server. */
export interface Inventario {
  stolenList(): Promise<RawLaptop[]>;
  schoolList(): Promise<string[]>;
  leaseInfo(hostname: Hostname): Promise<LeaseInfo>;
  close(): void;
}

/** inventario stores SHA-1 hex of the password and compares it verbatim. */
export function basicAuthorization(user: string, pass: string): string {
  const digest = createHash("sha1").update(pass, "utf8").digest("hex");
  return `Basic ${Buffer.from(`${user}:${digest}`, "utf8").toString("base64")}`;
}

const MAX_REDIRECTS = 5;
/** Far above any real school; stops a hostile server from filling memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class InventarioClient implements Inventario {
  private readonly authorization: string;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 4 });
  private readonly httpsAgent: HttpsAgent;

  constructor(private readonly options: InventarioOptions) {
    this.authorization = basicAuthorization(options.user, options.pass);
    const ca = options.extraCa === undefined ? undefined : [...rootCertificates, options.extraCa];
    this.httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(ca ? { ca } : {}) });
  }

  async stolenList(): Promise<RawLaptop[]> {
    return this.get("stolen list", "laptops/requestBlackList.xml", readStolenList);
  }

  async schoolList(): Promise<string[]> {
    return this.get("school list", "school_infos/list.xml", readSchoolList);
  }

  async leaseInfo(hostname: Hostname): Promise<LeaseInfo> {
    const path = `school_infos/lease_info.xml?hostname=${encodeURIComponent(hostname)}`;
    // The school's failure names it first (run/school.ts): the call does not name it again.
    return this.get("lease info", path, readLeaseInfo);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Fetches and reads one answer; every failure is an InventarioError naming the call. */
  private async get<T>(call: string, path: string, read: (value: RailsValue) => T): Promise<T> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const { stop } = this.options;
    const signal = stop === undefined ? timeout : AbortSignal.any([timeout, stop]);
    const fail = (message: string, status?: number, cause?: unknown): InventarioError =>
      new InventarioError(call, `${call}: ${message}`, status, cause === undefined ? undefined : { cause });
    let body: string;
    let response: Response;
    try {
      response = await this.follow(new URL(path, this.options.site), signal, fail);
      body = await readBody(response, fail);
    } catch (error) {
      if (error instanceof InventarioError) throw error;
      const why = stop?.aborted
        ? `the run was interrupted by ${String(stop.reason)}`
        : timeout.aborted
          ? `no complete answer within ${this.options.timeoutMs / 1000} s`
          : describe(error);
      throw fail(why, undefined, error);
    }
    try {
      return read(parseRailsXml(body));
    } catch (error) {
      throw fail(`answer is not what inventario sends (${describe(error)})`, response.status, error);
    }
  }

  private async follow(url: URL, signal: AbortSignal, fail: (m: string, s?: number) => InventarioError): Promise<Response> {
    const site = this.options.site;
    for (let hops = 0; ; hops += 1) {
      const response = await fetch(url.href, {
        headers: { Accept: "application/xml", Authorization: this.authorization },
        redirect: "manual",
        signal,
        agent: url.protocol === "https:" ? this.httpsAgent : this.httpAgent,
      });
      if (response.status >= 200 && response.status < 300) return response;
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || location === null) {
        response.body?.resume();
        throw fail(`HTTP ${response.status} ${statusMeaning(response.status)}`, response.status);
      }
      response.body?.resume();
      const next = new URL(location, url);
      const refusal = redirectRefusal(site, url, next);
      if (refusal !== undefined) throw fail(refusal, response.status);
      if (hops >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`, response.status);
      url = next;
    }
  }
}

/**
 * Why a redirect from `from` to `to` is not followed (the Authorization header goes with every
 * request), or undefined when it is. Credentials go to the configured site's origin only: its
 * scheme, host and port, as curl since CVE-2022-27776 (another port may be another service, or
 * another user's). The one exception is the usual move of a site to TLS: from http to https on
 * the same host, at the default ports (80 to 443). Never back to plain http.
 */
export function redirectRefusal(site: URL, from: URL, to: URL): string | undefined {
  const where = `${to.protocol}//${to.host}`;
  if (from.protocol === "https:" && to.protocol !== "https:") return `refusing a redirect to plain http (${where})`;
  const upgrade = site.protocol === "http:" && site.port === "" && to.protocol === "https:" && to.port === "";
  if (to.origin === site.origin || (upgrade && to.hostname === site.hostname)) return undefined;
  return `refusing a redirect to another host, port or scheme (${where}): the credentials go to ${site.origin} only`;
}

async function readBody(response: Response, fail: (m: string, s?: number) => InventarioError): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw fail(`answer larger than ${MAX_BODY_BYTES} bytes`, response.status);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function statusMeaning(status: number): string {
  const meanings: Record<number, string> = {
    401: "(check user and pass in the configuration)",
    403: "(the account lacks the permission; it needs the role 'extern system')",
    404: "(unknown to inventario)",
  };
  return meanings[status] ?? (status >= 500 ? "(inventario failed)" : "");
}
