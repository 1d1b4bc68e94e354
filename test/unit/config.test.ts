import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ConfigError, validateConfig } from "../../src/core/config.js";
import { readConfigFile } from "../../src/io/config-file.js";
import { FatalError } from "../../src/errors.js";

const required = { user: "u", pass: "p", site: "https://inv.example.org/inventario", signing_key_path: "/etc/keys/lease" };

const dir = mkdtempSync(join(tmpdir(), "leasegen-conf-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function writeConf(text: string): string {
  files += 1;
  const path = join(dir, `leasegen-${files}.conf`);
  writeFileSync(path, text);
  return path;
}

test("defaults (SPEC §6) and the site's path prefix kept with a trailing slash", () => {
  const config = validateConfig(required);
  assert.equal(config.site.href, "https://inv.example.org/inventario/");
  assert.equal(config.signer, "native");
  assert.equal(config.biosCryptoPath, "/usr/libexec/bios-crypto");
  assert.equal(config.leasesDir, "/var/lib/xo-activations");
  assert.equal(config.stateDir, "/var/inventario-leasegen/var");
  assert.equal(config.staleSeconds, 604800);
  assert.equal(config.httpTimeoutSeconds, 60);
  assert.equal(config.maxShrinkPercent, 50);
  assert.equal(config.caFile, undefined);
});

test("errors name the key", () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ ...required, user: undefined }, "user", /missing required key "user"/],
    [{ ...required, sitee: "x" }, "sitee", /unknown key "sitee"/],
    [{ ...required, stale_lease_threshold: "1w" }, "stale_lease_threshold", /integer/],
    [{ ...required, stale_lease_threshold: "0" }, "stale_lease_threshold", /integer/],
    [{ ...required, http_timeout: "-1" }, "http_timeout", /integer/],
    [{ ...required, max_shrink_percent: "101" }, "max_shrink_percent", /integer/],
    [{ ...required, signer: "openssl" }, "signer", /native/],
    [{ ...required, site: "ftp://x/" }, "site", /http/],
    [{ ...required, site: "https://u:secret@x/" }, "site", /credentials/],
    [{ ...required, leases_dir: "relative/dir" }, "leases_dir", /absolute/],
    [{ ...required, sec: { k: "1" } }, "sec", /unknown key/],
  ];
  for (const [raw, key, message] of cases) {
    const clean = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
    assert.throws(
      () => validateConfig(clean),
      (error: unknown) => error instanceof ConfigError && error.key === key && message.test(error.message),
      key,
    );
  }
});

test("last_run_file, accepted by the Ruby original, is ignored", () => {
  assert.equal(validateConfig({ ...required, last_run_file: "/tmp/x" }).user, "u");
});

test("the file: quoted values, # and ; kept literally, comments, booleans kept as text", () => {
  const path = writeConf(
    [
      "# leasegen.conf",
      'user = "leasegen"',
      'pass = "a#b;c d"',
      'site = "http://127.0.0.1:3000/"',
      "signing_key_path = /etc/keys/lease",
      "; a comment",
      'stale_lease_threshold = "3600"',
      'last_run_file = "/var/x"',
      "",
    ].join("\n"),
  );
  const config = readConfigFile(path);
  assert.equal(config.user, "leasegen");
  assert.equal(config.pass, "a#b;c d");
  assert.equal(config.signingKeyPath, "/etc/keys/lease");
  assert.equal(config.staleSeconds, 3600);
  const bools = readConfigFile(writeConf('user = u\npass = true\nsite = "http://h/"\nsigning_key_path = /k\n'));
  assert.equal(bools.pass, "true");
});

test("an empty value says so, and how to get the default back", () => {
  assert.throws(
    () => validateConfig({ ...required, leases_dir: "" }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === 'key "leases_dir" has an empty value (remove the line or comment it out for the default, /var/lib/xo-activations)',
  );
  assert.throws(
    () => validateConfig({ ...required, ca_file: "" }),
    (e: unknown) => e instanceof ConfigError && e.message === 'key "ca_file" has an empty value',
  );
  assert.throws(
    () => validateConfig({ ...required, pass: "" }),
    (e: unknown) => e instanceof ConfigError && e.message === 'key "pass" has an empty value',
  );
});

test("file errors are FatalErrors (exit 2) naming the file, the line and the key, never a value", () => {
  const missing = join(tmpdir(), "does-not-exist", "leasegen.conf");
  assert.throws(
    () => readConfigFile(missing),
    (e: unknown) => e instanceof FatalError && e.exitCode === 2 && e.message.includes(missing),
  );
  const cases: [string, string][] = [
    ['user = u\npass = "s3cret-pass"\nsite = "http://h/"\nsigning_key_path = /k\nbogus = 1\n', 'line 5: unknown key "bogus"'],
    ['user = u\npass: s3cret-pass\nsite = "http://h/"\nsigning_key_path = /k\n', 'line 2: no "=" in this line (expected key = value)'],
    [
      'user = u\npass = s3cret-pass\nsite = "http://h/"\nsigning_key_path = /k\nhttp_timeout = s3cret\n',
      'line 5: key "http_timeout" must be an integer from 1 to 3600',
    ],
    ['user = u\nsite = "http://h/"\nsigning_key_path = /k\n', 'missing required key "pass"'],
  ];
  for (const [text, message] of cases) {
    const path = writeConf(text);
    assert.throws(
      () => readConfigFile(path),
      (e: unknown) => e instanceof FatalError && e.exitCode === 2 && e.message === `${path}: ${message}` && !e.message.includes("s3cret"),
      message,
    );
  }
});
