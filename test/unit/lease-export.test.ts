// The export layouts (SPEC §4 "How leases travel from here") as pure functions.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readCanonicalSchoolFile, schoolFileText } from "../../src/core/canonical-json.js";
import type { Expiry, Hostname, Serial } from "../../src/core/domain.js";
import { leaseLine } from "../../src/core/lease.js";
import {
  checkSchoolExport,
  exportLine,
  sha1ManifestText,
  xoLeaseFile,
  xsActivationDirs,
  xsActivationFiles,
  xsActivationName,
  xsActivationPath,
  type SchoolExport,
} from "../../src/core/lease-export.js";
import { VECTORS } from "../support/keys.js";

const vector = (name: string): string => readFileSync(join(VECTORS, name), "latin1");
const host = (text: string): Hostname => text as Hostname;
/** A well-formed lease line; `n` makes its signature differ. */
const line = (serial: string, expiry: string, n = 0): string =>
  leaseLine(serial as Serial, expiry as Expiry, "ab".repeat(32), String(n).padStart(512, "0"));

function school(hostname: string, leases: Record<string, string>): SchoolExport {
  const checked = checkSchoolExport(host(hostname), schoolFileText(new Map(Object.entries(leases))));
  assert.ok(checked.ok, checked.ok ? "" : checked.reason);
  return checked.value;
}

test("a by-school file is checked: laptops, earliest expiry; the spec's vector (sig01 and sig02 lines) passes", () => {
  const checked = checkSchoolExport(host("s.a.org"), vector("school-lease.cjson.sig"));
  assert.ok(checked.ok);
  assert.equal(checked.value.text, vector("school-lease.cjson.sig"));
  assert.equal(checked.value.leases.size, 1);
  assert.equal(checked.value.earliestExpiry, "20300101T000000Z");
  const two = school("s.a.org", {
    SHC00000001: line("SHC00000001", "20300101T000000Z"),
    SHC00000002: line("SHC00000002", "20291231T060000Z"),
  });
  assert.equal(two.earliestExpiry, "20291231T060000Z");
  const never = school("s.a.org", { SHC00000001: line("SHC00000001", "00000000T000000Z") });
  assert.equal(never.earliestExpiry, undefined);
});

test("a file that is not canonical JSON of lease lines for each serial is refused, saying why", () => {
  const good = line("SHC00000001", "20300101T000000Z");
  const cases: [string, RegExp][] = [
    ["[1,{", /not a by-school lease file/],
    [`[1,{"SHC00000002":"${line("SHC00000002", "20300101T000000Z")}","SHC00000001":"${good}"}]`, /not canonical JSON/],
    [`[1,{"SHC00000001":"${good.replace("\n", "\\n")}"}]`, /not canonical JSON/],
    [`[1,{"SHC00000001":"${good}${good.trimEnd()}"}]`, /value of "SHC00000001" is not lease lines for it/],
    [`[1,{"SHC00000001":"${line("SHC00000002", "20300101T000000Z")}"}]`, /value of "SHC00000001"/],
    [`[1,{"SHC00000001":""}]`, /value of "SHC00000001"/],
    [`[1,{"SHC00000001":"${good.replace("sha256", "sha256\u00e9")}"}]`, /value of "SHC00000001"/],
  ];
  for (const [text, reason] of cases) {
    const checked = checkSchoolExport(host("s.a.org"), text);
    assert.equal(checked.ok, false, text.slice(0, 60));
    if (!checked.ok) assert.match(checked.reason, reason);
  }
});

test("xo lease.sig: one school's file as is; several merged, a serial of two schools keeping both lines, sorted", () => {
  const a = school("s.a.org", {
    SHC00000002: line("SHC00000002", "20300101T000000Z", 2),
    SHC00000001: line("SHC00000001", "20300101T000000Z", 9),
  });
  const b = school("s.b.org", {
    SHC00000001: line("SHC00000001", "20300101T000000Z", 1),
    SHC00000003: line("SHC00000003", "20300101T000000Z"),
  });
  assert.equal(xoLeaseFile([a]), a.text);
  const merged = readCanonicalSchoolFile(xoLeaseFile([a, b]));
  assert.deepEqual([...merged.keys()], ["SHC00000001", "SHC00000002", "SHC00000003"]);
  assert.equal(merged.get("SHC00000001"), line("SHC00000001", "20300101T000000Z", 1) + line("SHC00000001", "20300101T000000Z", 9));
  assert.equal(xoLeaseFile([a, b]), xoLeaseFile([b, a]), "order of the schools does not matter");
  assert.equal(
    readCanonicalSchoolFile(xoLeaseFile([a, a])).get("SHC00000001"),
    line("SHC00000001", "20300101T000000Z", 9),
    "the same line once",
  );
});

test("xs-activation <NAME> is the first label of the server's domain; none, or an unsafe one, is an error naming the school", () => {
  assert.deepEqual(xsActivationName(host("schoolserver.escuela1.caacupe.paraguayeduca.org")), { ok: true, value: "escuela1" });
  assert.deepEqual(xsActivationName(host("xs.escuela2")), { ok: true, value: "escuela2" });
  for (const hostname of ["schoolserver", "schoolserver.", "schoolserver..org", "10.0.0.5", "192.168.1.1", "fe80::1", "::ffff:10.0.0.5"]) {
    const name = xsActivationName(host(hostname));
    assert.equal(name.ok, false, hostname);
    if (!name.ok) assert.ok(name.reason.includes(hostname), name.reason);
  }
  assert.deepEqual(xsActivationName(host("10.0.0.5")), {
    ok: false,
    reason: "10.0.0.5 is an IP address, not a name whose domain names its xs-activation directory",
  });
  assert.deepEqual(xsActivationName(host("xs.123.example.org")), { ok: true, value: "123" }, "what hostname -d | cut -f1 -d. prints");
});

test("two schools sharing a <NAME> are refused, naming both; the others get their directory", () => {
  const one = school("xs.escuela1.a.org", {});
  const clash = school("xs.escuela1.b.org", {});
  const other = school("xs.escuela2.a.org", {});
  const { dirs, errors } = xsActivationDirs([one, other, clash]);
  assert.deepEqual(
    dirs.map((dir) => [dir.name, dir.school.hostname]),
    [["escuela2", "xs.escuela2.a.org"]],
  );
  assert.equal(errors.length, 1);
  assert.match(errors[0] as string, /xs\.escuela1\.a\.org and xs\.escuela1\.b\.org would share xs-activation\/escuela1\//);
});

test("manifest.sha1 is what sha1sum * prints: <40 hex>, two spaces, name, LF, names in byte order", () => {
  assert.equal(sha1ManifestText(new Map([["leases.sig", "abc"]])), "a9993e364706816aba3e25717850c26c9cd0d89d  leases.sig\n");
  assert.equal(
    sha1ManifestText(
      new Map([
        ["b", ""],
        ["B", "abc"],
      ]),
    ),
    "a9993e364706816aba3e25717850c26c9cd0d89d  B\nda39a3ee5e6b4b0d3255bfef95601890afd80709  b\n",
  );
  const dir = { name: "escuela1", school: school("xs.escuela1.org", { SHC00000001: line("SHC00000001", "20300101T000000Z") }) };
  const files = xsActivationFiles(dir);
  assert.deepEqual(xsActivationPath(dir), ["xs-activation", "escuela1"]);
  assert.deepEqual(
    files.map(([name]) => name),
    ["leases.sig", "manifest.sha1"],
  );
  assert.equal(files[0]?.[1], dir.school.text);
});

test("one line per school: laptops and earliest expiry", () => {
  const two = school("s.a.org", {
    SHC00000001: line("SHC00000001", "20301231T060000Z"),
    SHC00000002: line("SHC00000002", "20300101T060000Z"),
  });
  assert.equal(
    exportLine(two, "/media/usb/lease.sig"),
    "s.a.org: 2 laptops, earliest expiry 2030-01-01 06:00 UTC (20300101T060000Z), in /media/usb/lease.sig",
  );
  assert.equal(exportLine(school("s.b.org", {}), "/m/lease.sig"), "s.b.org: 0 laptops, in /m/lease.sig");
  const never = school("s.c.org", { SHC00000001: line("SHC00000001", "00000000T000000Z") });
  assert.equal(exportLine(never, "/m/lease.sig"), "s.c.org: 1 laptop, leases that never expire, in /m/lease.sig");
});
