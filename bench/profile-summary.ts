// `node build/bench/profile-summary.js FILE.cpuprofile… [--top N]`: where a thread's time went,
// from the profiles `node --cpu-prof` writes (one per thread; LEASEGEN_BENCH_CPU_PROF makes the
// bench write them). Prints idle versus busy, then the functions with the most self time.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function summarize(file: string, top: number): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const where = frame.url === "" ? "" : ` ${basename(frame.url)}:${frame.lineNumber + 1}`;
    const name = `${frame.functionName || "(anonymous)"}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  const idle = (byFunction.get("(idle)") ?? 0) / 1000;
  const lines = [`${basename(file)}: ${(total / 1000).toFixed(2)} s sampled, ${((total - idle) / 1000).toFixed(2)} s busy`];
  const sorted = [...byFunction].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]);
  for (const [name, micros] of sorted.slice(0, top)) {
    lines.push(`  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${((micros / 1000 / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
  return lines.join("\n");
}

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((arg, i) => arg !== "--top" && i !== topAt + 1);
for (const file of files) console.log(`${summarize(file, top)}\n`);
