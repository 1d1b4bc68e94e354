// The program's entry: process concerns only (umask, argv, exit status, what reaches stderr).
// The same bundle file is also the body of the worker threads that sign and verify leases and
// write files. The command line is imported only on the main thread: a worker that loaded it
// (commander, pino, node-fetch…) would cost about 6 MB more, for nothing.
import { isMainThread, workerData } from "node:worker_threads";
import { ExitCode, FatalError, describe } from "./errors.js";
import { isWriteWorker, runWriteWorker } from "./io/write-worker.js";
import { isSignWorker, runSignWorker } from "./signers/sign-worker.js";
import { isVerifyWorker, runVerifyWorker } from "./signers/verify-worker.js";

const complain = (line: string): void => void process.stderr.write(`inventario-leasegen: ${line}\n`);

if (!isMainThread && isSignWorker(workerData)) {
  runSignWorker();
} else if (!isMainThread && isVerifyWorker(workerData)) {
  runVerifyWorker();
} else if (!isMainThread && isWriteWorker(workerData)) {
  runWriteWorker();
} else {
  // Lease files are read by other services (oatslite, xs-activation): 0644 whatever cron's umask.
  process.umask(0o022);
  // Every error is one line on stderr, never a stack trace (the run logs stacks in its log).
  // A reader that leaves early (`inventario-leasegen --help | head`) is not an error at all.
  let outputFailed = false;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || outputFailed) return;
    outputFailed = true;
    complain(`cannot write to standard output: ${describe(error)}`);
    if (!process.exitCode) process.exitCode = ExitCode.NothingDone;
  });
  process.stderr.on("error", () => undefined); // nowhere left to say it
  process.on("uncaughtException", (error) => {
    complain(describe(error));
    process.exit(ExitCode.NothingDone);
  });
  const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  // Workers run this very file: it, not the chunk the command line is in (ncc splits it off).
  const bundleFile = __filename;
  import("./cli.js")
    .then(({ runCommandLine }) => runCommandLine(process.argv.slice(2), io, bundleFile))
    .then(
      (code) => (process.exitCode = outputFailed && code === ExitCode.Ok ? ExitCode.NothingDone : code),
      (error: unknown) => {
        complain(describe(error));
        process.exitCode = error instanceof FatalError ? error.exitCode : ExitCode.NothingDone;
      },
    );
}
