// Preloaded into the measured program when LEASEGEN_BENCH_CORES is set
// (`node --require build/bench/cores-preload.js dist/index.js`): the program then sees that many
// cores in `os.availableParallelism()`, and so starts that many signing workers. For measuring how
// memory grows with the cores of a bigger machine on a small one, not for speed: the workers
// still share the real cores.
import os from "node:os";

const cores = Number(process.env.LEASEGEN_BENCH_CORES);
if (Number.isInteger(cores) && cores > 0) {
  os.availableParallelism = () => cores;
}
