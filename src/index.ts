// The program's entry: process concerns only (umask, argv, exit status). The same bundle file
// is also the body of the worker threads that sign and verify leases.
import { isMainThread, workerData } from "node:worker_threads";
import { runCommandLine } from "./cli.js";
import { ExitCode, FatalError, describe } from "./errors.js";
import { isSignWorker, runSignWorker } from "./signers/sign-worker.js";
import { isVerifyWorker, runVerifyWorker } from "./signers/verify-worker.js";

if (!isMainThread && isSignWorker(workerData)) {
  runSignWorker();
} else if (!isMainThread && isVerifyWorker(workerData)) {
  runVerifyWorker();
} else {
  // Lease files are read by other services (oatslite, xs-activation): 0644 whatever cron's umask.
  process.umask(0o022);
  const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  runCommandLine(process.argv.slice(2), io).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      const fatal = error instanceof FatalError;
      process.stderr.write(`inventario-leasegen: ${describe(error)}\n`);
      if (!fatal) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
      process.exitCode = fatal ? error.exitCode : ExitCode.NothingDone;
    },
  );
}
