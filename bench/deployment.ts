// A benchmark deployment: a test inventario serving a synthetic dataset, a config file naming it,
// and empty leases and state directories; plus what the bench reads back after a run.
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { syntheticDataset } from "../test/support/datasets.js";
import { startInventario, type TestInventario } from "../test/support/inventario-server.js";

export interface BenchDeployment {
  readonly name: string;
  readonly dir: string;
  readonly configPath: string;
  readonly leasesDir: string;
  readonly stateDir: string;
  readonly server: TestInventario;
  readonly schools: number;
  /** Distinct serials inventario lists at first (the churn step changes them: listedSerials). */
  readonly laptops: number;
}

/** Starts the deployment's inventario; the caller closes `server`. `dir` must exist. */
export async function makeBenchDeployment(
  dir: string,
  name: string,
  keyPath: string,
  size: { laptops: number; schools: number },
  extra: Record<string, string> = {},
): Promise<BenchDeployment> {
  const dataset = syntheticDataset(size.laptops, size.schools);
  const serials = new Set<string>();
  for (const school of dataset.schools.values()) for (const laptop of school.laptops) serials.add(laptop.serial);
  const server = await startInventario(dataset);
  const values: Record<string, string> = {
    user: "test",
    pass: "xxx",
    site: server.url,
    signing_key_path: keyPath,
    leases_dir: join(dir, "leases"),
    state_dir: join(dir, "state"),
    log_format: "json", // read back by logLinesSince
    ...extra,
  };
  const configPath = join(dir, "leasegen.conf");
  await writeFile(
    configPath,
    Object.entries(values)
      .map(([key, value]) => `${key} = "${value}"\n`)
      .join(""),
  );
  return {
    name,
    dir,
    configPath,
    leasesDir: values.leases_dir as string,
    stateDir: values.state_dir as string,
    server,
    schools: dataset.schools.size,
    laptops: serials.size,
  };
}

export interface OutputCount {
  readonly laptopFiles: number;
  readonly schoolFiles: number;
}

/** Distinct serials inventario lists now: the by-laptop files a run must leave. */
export function listedSerials(deployment: BenchDeployment): number {
  const serials = new Set<string>();
  for (const school of deployment.server.dataset.schools.values()) for (const laptop of school.laptops) serials.add(laptop.serial);
  return serials.size;
}

export async function countOutputs(deployment: BenchDeployment): Promise<OutputCount> {
  const files = async (dir: string): Promise<number> =>
    (await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])).filter((entry) => entry.isFile()).length;
  return {
    laptopFiles: await files(join(deployment.leasesDir, "by-laptop")),
    schoolFiles: await files(join(deployment.leasesDir, "by-school")),
  };
}

/** The size of the log now, so that a run's own lines can be told apart afterwards. */
export async function logSize(deployment: BenchDeployment): Promise<number> {
  return (await stat(join(deployment.stateDir, "leasegen.log")).catch(() => undefined))?.size ?? 0;
}

export interface LogLine {
  readonly time: string;
  readonly msg: string;
  readonly action?: string;
  readonly ms?: number;
  readonly [field: string]: unknown;
}

/** The log lines written after `offset`. */
export async function logLinesSince(deployment: BenchDeployment, offset: number): Promise<LogLine[]> {
  const text = await readFile(join(deployment.stateDir, "leasegen.log")).catch(() => Buffer.alloc(0));
  return text
    .subarray(offset)
    .toString("utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as LogLine);
}
