// The RPM's THIRD-PARTY-LICENSES (packaging/third-party-licenses.mjs) covers every package that
// ends up in the bundle, and the spec's bundled() Provides and License tag match them.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ROOT } from "../support/harness.js";

interface LockEntry {
  version?: string;
  license?: string;
  dev?: boolean;
  link?: boolean;
}

interface StatsModule {
  name?: string;
  identifier?: string;
  modules?: StatsModule[];
}

const SCRIPT = join(ROOT, "packaging", "third-party-licenses.mjs");
const SPEC = join(ROOT, "rpm", "inventario-leasegen.spec");

function runNode(args: string[]): string {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `node ${args.join(" ")} failed:\n${result.stderr}`);
  return result.stdout;
}

/** name@version of the production packages, read from package-lock.json itself. */
async function productionPackages(): Promise<Map<string, { name: string; version: string; license: string }>> {
  const lock = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const packages = new Map<string, { name: string; version: string; license: string }>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev || entry.link) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    packages.set(`${name}@${entry.version}`, { name, version: entry.version ?? "", license: entry.license ?? "" });
  }
  return packages;
}

/** The licence file's sections: "name version" -> the text under the header. */
function sections(document: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of document.split(/^={100}$/m).slice(1)) {
    const header = /^\nPackage: (\S+) (\S+)\n/.exec(part);
    assert.ok(header, `section without a Package header: ${part.slice(0, 200)}`);
    found.set(`${header[1]}@${header[2]}`, part.slice(header[0].length));
  }
  return found;
}

describe("third-party licences", () => {
  let document = "";

  before(() => {
    document = runNode([SCRIPT]);
  });

  it("has a section with a licence text for every production package of package-lock.json", async () => {
    const found = sections(document);
    const expected = await productionPackages();
    assert.ok(expected.size > 10, `only ${expected.size} production packages in package-lock.json`);
    assert.deepEqual([...found.keys()].sort(), [...expected.keys()].sort());
    for (const [key, text] of found) {
      const body = text.replace(/^(License|Path): .*\n/gm, "").replace(/^--- .* ---\n/gm, "");
      assert.ok(body.trim().length >= 200, `${key}: no licence text`);
      assert.match(body, /copyright|permission/i, `${key}: the text does not look like a licence`);
    }
  });

  describe("against what ncc really bundles", () => {
    let outDir = "";
    before(async () => {
      outDir = await mkdtemp(join(tmpdir(), "leasegen-ncc-stats-"));
    });
    after(() => rm(outDir, { recursive: true, force: true }));

    it("covers every npm package whose modules are in the bundle", async () => {
      const ncc = spawnSync(
        join(ROOT, "node_modules", ".bin", "ncc"),
        ["build", "src/index.ts", "--out", outDir, "--target", "es2022", "--quiet", "--stats-out", join(outDir, "stats.json")],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.equal(ncc.status, 0, `ncc failed:\n${ncc.stderr}`);
      const stats = JSON.parse(await readFile(join(outDir, "stats.json"), "utf8")) as { modules?: StatsModule[] };
      const bundled = new Set<string>();
      const walk = (modules: readonly StatsModule[]): void => {
        for (const module of modules) {
          // The resource is after the last "!" of the identifier (what precedes it is ncc's loaders).
          const id = `${module.name ?? ""} ${(module.identifier ?? "").split("!").pop() ?? ""}`;
          for (const match of id.matchAll(/node_modules\/((?:@[^/]+\/)?[^/\s!]+)/g)) bundled.add(match[1] ?? "");
          walk(module.modules ?? []);
        }
      };
      walk(stats.modules ?? []);
      assert.ok(bundled.has("pino") && bundled.has("commander"), `unexpected stats: ${[...bundled].join(", ")}`);
      const named = new Set([...sections(document).keys()].map((key) => key.slice(0, key.lastIndexOf("@"))));
      const missing = [...bundled].filter((name) => !named.has(name));
      assert.deepEqual(missing, [], `bundled but missing from THIRD-PARTY-LICENSES: ${missing.join(", ")}`);
    });
  });

  describe("the spec", () => {
    let spec = "";
    before(async () => {
      spec = await readFile(SPEC, "utf8");
    });

    it("declares every bundled package as Provides: bundled(nodejs-NAME) = VERSION, and nothing else", async () => {
      const declared = [...spec.matchAll(/^Provides:\s+bundled\(nodejs-(\S+)\) = (\S+)$/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
      const expected = [...(await productionPackages()).keys()].sort();
      assert.deepEqual(declared, expected, `regenerate with: node packaging/third-party-licenses.mjs --provides`);
    });

    it("names every bundled licence in its License tag", async () => {
      const tag = /^License:\s+(.*)$/m.exec(spec)?.[1] ?? "";
      const ids = new Set(tag.split(/\s+(?:AND|OR)\s+|[()]/).filter(Boolean));
      assert.ok(ids.has("GPL-2.0-or-later"), tag);
      for (const { name, license } of (await productionPackages()).values())
        assert.ok(ids.has(license), `${name}: ${license} not in "${tag}"`);
    });

    it("has the version of package.json and a %changelog entry for it", async () => {
      const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
      assert.match(spec, new RegExp(`^Version:\\s+${version.replace(/\./g, "\\.")}$`, "m"));
      assert.match(spec, new RegExp(`^%changelog\\n\\* .+ - ${version.replace(/\./g, "\\.")}-\\d+$`, "m"));
    });
  });
});
