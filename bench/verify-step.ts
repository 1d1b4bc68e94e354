// `verify` over the bench's deployment, timed beside the time it takes just to read the files
// it checks (issue 8 §4: the target is no more than reading them plus a second). Both read a
// warm page cache: the files were just written and are read first here.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { BenchDeployment } from "./deployment.js";
import { runMeasured, type MeasuredRun } from "./measured-run.js";

export interface VerifyTiming {
  readonly run: MeasuredRun;
  /** Every file under leases_dir read once, one after the other, in this process. */
  readonly readSeconds: number;
  readonly files: number;
}

export async function measureVerify(deployment: BenchDeployment): Promise<VerifyTiming> {
  const started = performance.now();
  let files = 0;
  for (const entry of readdirSync(deployment.leasesDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    readFileSync(join(entry.parentPath, entry.name));
    files += 1;
  }
  const readSeconds = (performance.now() - started) / 1000;
  const run = await runMeasured(["verify", "--config", deployment.configPath], join(deployment.dir, "probe-verify.json"));
  return { run, readSeconds, files };
}
