// End-to-end harness: a throwaway deployment directory (config, keys, leases, state) and a
// way to run the built bundle, `node dist/index.js`, against it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, type TestContext } from "node:test";
import { demoDataset } from "./datasets.js";
import { startInventario, type Dataset, type TestInventario } from "./inventario-server.js";
import { copyVectorKey } from "./keys.js";

export const ROOT = join(__dirname, "..", "..", "..");
export const BUNDLE = join(ROOT, "dist", "index.js");
/** A run's lock file in leases_dir (src/io/lock.ts): empty, and no lease file. */
export const LEASES_LOCK = ".leasegen.lock";

/** The files under `dir` that are leases (by-school, by-laptop, stolen lists): all but the lock file. */
export async function leaseFiles(dir: string): Promise<string[]> {
  return [...(await readTree(dir)).keys()].filter((path) => path !== LEASES_LOCK);
}

export interface Deployment {
  readonly dir: string;
  readonly configPath: string;
  readonly leasesDir: string;
  readonly stateDir: string;
  readonly keyPath: string;
  /** Rewrites the config with these keys on top of the defaults. */
  writeConfig(extra?: Record<string, string>): Promise<void>;
  remove(): Promise<void>;
}

export async function makeDeployment(site: string, extra: Record<string, string> = {}): Promise<Deployment> {
  const dir = await mkdtemp(join(tmpdir(), "leasegen-test-"));
  const keyPath = await copyVectorKey(dir);
  const deployment: Deployment = {
    dir,
    configPath: join(dir, "leasegen.conf"),
    leasesDir: join(dir, "leases"),
    stateDir: join(dir, "state"),
    keyPath,
    writeConfig: async (more = {}) => {
      const values: Record<string, string> = {
        user: "test",
        pass: "xxx",
        site,
        signing_key_path: keyPath,
        leases_dir: join(dir, "leases"),
        state_dir: join(dir, "state"),
        http_timeout: "5",
        // Tests read the log's fields with their types (readLog); test/e2e/log.test.ts checks the text format.
        log_format: "json",
        ...extra,
        ...more,
      };
      await writeFile(
        join(dir, "leasegen.conf"),
        Object.entries(values)
          .map(([k, v]) => `${k} = "${v}"\n`)
          .join(""),
      );
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  await deployment.writeConfig();
  return deployment;
}

/**
 * For a test file whose every test starts from the demo dataset (or `dataset`) on a fresh test
 * inventario and a fresh deployment: registers the hooks and returns the current pair.
 */
export function useDemoDeployment(dataset: () => Dataset = demoDataset): {
  readonly server: TestInventario;
  readonly deployment: Deployment;
} {
  let server: TestInventario | undefined;
  let deployment: Deployment | undefined;
  beforeEach(async () => {
    server = await startInventario(dataset());
    deployment = await makeDeployment(server.url);
  });
  afterEach(async () => {
    await server?.close();
    await deployment?.remove();
  });
  return {
    get server() {
      return server as TestInventario;
    },
    get deployment() {
      return deployment as Deployment;
    },
  };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the bundle with these arguments; `--config` is added when a deployment is given. With
 * `killAfterMs`, a run that has not ended by then is killed (code null): a hang fails the test.
 */
export function runBundle(
  args: readonly string[],
  deployment?: Deployment,
  env: Record<string, string> = {},
  killAfterMs?: number,
): Promise<RunResult> {
  const argv = deployment ? ["--config", deployment.configPath, ...args] : [...args];
  const kill = killAfterMs === undefined ? {} : { timeout: killAfterMs, killSignal: "SIGKILL" as const };
  return runCommand(process.execPath, [BUNDLE, ...argv], { env: { ...process.env, ...env }, ...kill });
}

/**
 * `runBundle` with the program's clock moved by `offset` (libfaketime's `faketime -f`, e.g.
 * "+8d"): how the tests let time pass for leases, with no seam in the program. Every reading of
 * the time in the run and its threads moves; file times set by the kernel do not.
 */
export function runBundleAt(offset: string, args: readonly string[], deployment: Deployment): Promise<RunResult> {
  const argv = [process.execPath, BUNDLE, "--config", deployment.configPath, ...args];
  return runCommand("faketime", ["-f", offset, ...argv], { env: process.env });
}

/** Starts a run that stays busy (a school that answers after `delayMs`) and resolves once it holds the lock. */
export async function startBusyRun(server: TestInventario, deployment: Deployment, delayMs = 4000): Promise<ChildProcess> {
  server.dataset.schools.set("slow.example.org", { laptops: [], delayMs });
  const child = spawn(process.execPath, [BUNDLE, "--config", deployment.configPath, "slow.example.org"], { stdio: "ignore" });
  // The run's first log line is written after the lock is taken.
  const started = async (): Promise<boolean> =>
    (await readLog(deployment)).some((line) => line["pid"] === child.pid && line["msg"] === "run started");
  for (let i = 0; i < 200 && !(await started()); i += 1) await new Promise((r) => setTimeout(r, 25));
  return child;
}

/** Runs a command without a shell, collecting its output; never blocks this process's servers. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number; killSignal?: NodeJS.Signals } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under `dir`, by relative path, with its bytes. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(relative(dir, path), await readFile(path));
    }
  }
  return files;
}

/** The log's lines, parsed. */
export async function readLog(deployment: Deployment): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(deployment.stateDir, "leasegen.log"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function publicKeyOf(keyPath: string): Promise<ReturnType<typeof createPublicKey>> {
  return createPublicKey({ key: await readFile(`${keyPath}.public`), format: "der", type: "pkcs1" });
}

/**
 * Runs `body` with a tmpfs (`mount -o options`) at `mountPoint`, unmounted afterwards. Mounting
 * needs root: where it is refused, the test is marked skipped, never counted as passed.
 */
export async function withTmpfs(t: TestContext, mountPoint: string, options: string, body: () => Promise<void>): Promise<void> {
  await mkdir(mountPoint, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", mountPoint], { stdio: "ignore" });
  } catch {
    t.skip("cannot mount a tmpfs here (needs root and mount rights)");
    return;
  }
  try {
    await body();
  } finally {
    execFileSync("umount", [mountPoint], { stdio: "ignore" });
  }
}
