// `node build/bench/serve.js`: the bench's deployment, kept up for profiling by hand. Starts the
// test inventario with the synthetic dataset (LEASEGEN_BENCH_LAPTOPS / LEASEGEN_BENCH_SCHOOLS),
// makes a key and a config in a new directory (under LEASEGEN_BENCH_TMPDIR or the system's),
// prints the config's path, and serves until interrupted, e.g.
//   node --cpu-prof dist/index.js --config <printed path> [--force]
// The directory is left for inspection (the log is in its state/).
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeKeyPair } from "../test/support/keys.js";
import { makeBenchDeployment } from "./deployment.js";

async function serve(): Promise<void> {
  const laptops = Number(process.env.LEASEGEN_BENCH_LAPTOPS || 50_000);
  const schools = Number(process.env.LEASEGEN_BENCH_SCHOOLS || 250);
  const dir = await mkdtemp(join(process.env.LEASEGEN_BENCH_TMPDIR || tmpdir(), "leasegen-serve-"));
  const deployment = await makeBenchDeployment(dir, "serve", await makeKeyPair(dir), { laptops, schools });
  console.log(`${deployment.laptops} laptops in ${deployment.schools} schools at ${deployment.server.url}`);
  console.log(`config: ${deployment.configPath}`);
  const stop = (): void => void deployment.server.close().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

void serve();
