// The configuration (SPEC §6): raw `key = value` pairs in, a typed Config out, or an error
// naming the key. Reading the file is the shell's job (io/config-file.ts).
import { quote } from "./domain.js";
import { obsoleteHookUse } from "./post-hook.js";

export type SignerKind = "native" | "bios-crypto";
export type LogFormat = "text" | "json";

export interface Config {
  readonly user: string;
  readonly pass: string;
  /** inventario's base URL, always ending in `/` so relative calls keep its path prefix. */
  readonly site: URL;
  /** Key path without `.private`/`.public`. */
  readonly signingKeyPath: string;
  readonly signer: SignerKind;
  readonly biosCryptoPath: string;
  readonly leasesDir: string;
  readonly stateDir: string;
  readonly staleSeconds: number;
  readonly httpTimeoutSeconds: number;
  readonly caFile: string | undefined;
  readonly maxShrinkPercent: number;
  /** Seconds one make-lease.sh may take before its process group is killed. */
  readonly biosCryptoTimeoutSeconds: number;
  /** Where each run writes its Prometheus metrics (node_exporter's textfile collector). */
  readonly metricsFile: string | undefined;
  /** A command line (or a script's path) run through /bin/sh -c after a run that changed leases_dir. */
  readonly postHook: string | undefined;
  readonly postHookTimeoutSeconds: number;
  readonly logFormat: LogFormat;
}

export class ConfigError extends Error {
  constructor(
    readonly key: string | undefined,
    message: string,
    /** The file's line, when the error is about one line's syntax. */
    readonly line?: number,
  ) {
    super(message);
  }
}

/**
 * The part of a line that an error may show: up to the first space, `=` or `:`, at most 40
 * characters. Never more: in `pass: Tr0ub4dor&3` the rest is a password.
 */
function keyPart(text: string): string {
  return [...(/^[^\s=:]*/.exec(text)?.[0] ?? "")].slice(0, 40).join("");
}

/** A key as an error shows it: its key part, quoted, with `…` when something was cut off. */
export function shownKey(key: string): string {
  const part = keyPart(key);
  return quote(part === key ? part : `${part}…`);
}

type Raw = Readonly<Record<string, unknown>>;

const KEYS = [
  "user",
  "pass",
  "site",
  "signing_key_path",
  "signer",
  "bios_crypto_path",
  "leases_dir",
  "stale_lease_threshold",
  "state_dir",
  "http_timeout",
  "ca_file",
  "max_shrink_percent",
  "bios_crypto_timeout",
  "metrics_file",
  "post_hook",
  "post_hook_timeout",
  "log_format",
] as const;
type Key = (typeof KEYS)[number];

/** Accepted by the Ruby original and never used; kept so old files still load. */
const IGNORED = new Set(["last_run_file"]);

export const DEFAULTS = {
  signer: "native",
  bios_crypto_path: "/usr/libexec/bios-crypto",
  leases_dir: "/var/lib/xo-activations",
  state_dir: "/var/inventario-leasegen/var",
  stale_lease_threshold: "604800",
  http_timeout: "60",
  max_shrink_percent: "50",
  bios_crypto_timeout: "60",
  post_hook_timeout: "600",
  log_format: "text",
} as const;

export function validateConfig(raw: Raw): Config {
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key) && !IGNORED.has(key)) {
      throw new ConfigError(key, `unknown key ${shownKey(key)}`);
    }
  }
  const text = (key: Key, fallback?: string): string => {
    const value = raw[key] ?? fallback;
    if (value === undefined) throw new ConfigError(key, `missing required key "${key}"`);
    if (typeof value !== "string") throw new ConfigError(key, `key "${key}" must be a single value`);
    if (value === "") throw new ConfigError(key, `key "${key}" has an empty value${emptyHint(key)}`);
    return value;
  };
  const path = (key: Key, fallback?: string): string => {
    const value = text(key, fallback);
    if (!value.startsWith("/")) throw new ConfigError(key, `key "${key}" must be an absolute path`);
    return value;
  };
  const integer = (key: Key, min: number, max: number): number => {
    const value = text(key, DEFAULTS[key as keyof typeof DEFAULTS]);
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw new ConfigError(key, `key "${key}" must be an integer from ${min} to ${max}`);
    return n;
  };
  const signer = text("signer", DEFAULTS.signer);
  if (signer !== "native" && signer !== "bios-crypto") {
    throw new ConfigError("signer", `key "signer" must be "native" or "bios-crypto"`);
  }
  const logFormat = text("log_format", DEFAULTS.log_format);
  if (logFormat !== "text" && logFormat !== "json") throw new ConfigError("log_format", `key "log_format" must be "text" or "json"`);
  const optional = <T>(key: Key, read: (key: Key) => T): T | undefined => (raw[key] === undefined ? undefined : read(key));
  const hookCommand = (key: Key): string => {
    const command = text(key);
    const obsolete = obsoleteHookUse(command);
    if (obsolete !== undefined) throw new ConfigError(key, obsolete);
    return command;
  };
  return {
    user: text("user"),
    pass: text("pass"),
    site: siteUrl(text("site")),
    signingKeyPath: path("signing_key_path"),
    signer,
    biosCryptoPath: path("bios_crypto_path", DEFAULTS.bios_crypto_path),
    leasesDir: path("leases_dir", DEFAULTS.leases_dir),
    stateDir: path("state_dir", DEFAULTS.state_dir),
    staleSeconds: integer("stale_lease_threshold", 1, Number.MAX_SAFE_INTEGER),
    httpTimeoutSeconds: integer("http_timeout", 1, 3600),
    caFile: optional("ca_file", path),
    maxShrinkPercent: integer("max_shrink_percent", 0, 100),
    biosCryptoTimeoutSeconds: integer("bios_crypto_timeout", 1, 86400),
    metricsFile: optional("metrics_file", path),
    postHook: optional("post_hook", hookCommand),
    postHookTimeoutSeconds: integer("post_hook_timeout", 1, 86400),
    logFormat,
  };
}

/** `leases_dir =` is most likely a default half edited: say how to get the default back. */
function emptyHint(key: Key): string {
  const fallback = (DEFAULTS as Readonly<Record<string, string>>)[key];
  return fallback === undefined ? "" : ` (remove the line or comment it out for the default, ${fallback})`;
}

function siteUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError("site", `key "site" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError("site", `key "site" must be an http or https URL`);
  if (url.username || url.password) throw new ConfigError("site", `key "site" must not hold credentials: use "user" and "pass"`);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  url.search = "";
  url.hash = "";
  return url;
}
