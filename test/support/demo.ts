// `make demo`: the test inventario with sample data on 127.0.0.1, a throwaway key pair made by
// `inventario-leasegen keygen`, and two runs of the built program; the second finds every
// school up to date.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoDataset } from "./datasets.js";
import { runBundle, readTree } from "./harness.js";
import { startInventario } from "./inventario-server.js";

async function demo(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-demo-"));
  const server = await startInventario(demoDataset());
  try {
    const keyPath = join(dir, "lease");
    const keygen = await runBundle(["keygen", keyPath]);
    if (keygen.code !== 0) throw new Error(`keygen failed: ${keygen.stderr}`);
    console.log(`key pair:        ${keyPath}.private / .public (made by keygen)`);
    const configPath = join(dir, "leasegen.conf");
    const config = [
      `user = "test"`,
      `pass = "xxx"`,
      `site = "${server.url}"`,
      `signing_key_path = "${keyPath}"`,
      `leases_dir = "${dir}/leases"`,
      `state_dir = "${dir}/var"`,
    ];
    await writeFile(configPath, `${config.join("\n")}\n`);
    console.log(`test inventario: ${server.url} (3 schools, 2 stolen laptops)`);
    console.log(`configuration:   ${configPath}\n`);
    for (const round of ["first run", "second run"]) {
      const result = await runBundle(["--config", configPath]);
      console.log(`${round}: exit ${result.code}${result.stderr ? `\n${result.stderr}` : ""}`);
      if (result.code !== 0) process.exitCode = 1;
      const log = (await readTree(join(dir, "var"))).get("leasegen.log")?.toString().trim().split("\n") ?? [];
      console.log(`  last line of the log: ${log[log.length - 1] ?? "(none)"}`);
    }
    const leases = [...(await readTree(join(dir, "leases"))).keys()].sort();
    console.log(`\nleases in ${dir}/leases:\n${leases.map((path) => `  ${path}`).join("\n")}`);
    console.log(`log: ${dir}/var/leasegen.log`);
  } finally {
    await server.close();
  }
}

void demo();
