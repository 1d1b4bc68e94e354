// The log, `<state_dir>/leasegen.log`: pino's records, one line each, written as text for people
// (core/log-line.ts) or as pino's JSON lines for a log shipper (log_format). Errors also go to
// stderr, one line each, for cron to mail; a good run prints nothing there.
//
// The file is opened in append mode and each line is written at once, synchronously, so
// logrotate may move the file away (create) or copy and truncate it (copytruncate): the next
// line lands at the new end of the file, never past a hole. A line that cannot be written (a
// full file system, a log that is a directory) is not retried: the run ends (LogWriteError,
// exit 4), because nothing it did after that could be recorded. pino's own destination
// (sonic-boom) retries a failed synchronous write forever, which hung a run holding the lock.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import pino from "pino";
import type { LogFormat } from "../core/config.js";
import { oneLine, textLogLine } from "../core/log-line.js";
import { ExitCode, FatalError, describe } from "../errors.js";

export interface Log {
  info(fields: object, message: string): void;
  /** Logged; also shown on stderr when `show` (a warning the operator must act on). */
  warn(fields: object, message: string, show?: boolean): void;
  /** Shown to the operator on stderr, and logged. */
  error(fields: object, message: string): void;
  /** Closes the file; every line is already written. */
  close(): void;
}

/** The log cannot be written: the run stops, since nothing it did next could be recorded. */
export class LogWriteError extends FatalError {
  constructor(file: string, cause: unknown) {
    super(`cannot write the log ${file}: ${describe(cause)}; the run stopped`, ExitCode.NothingDone, { cause });
  }
}

/**
 * Opens the log for appending; throws LogWriteError if it cannot be. Without a file (a dry run,
 * which writes nothing at all) lines go nowhere, and errors still to stderr.
 */
export function openLog(file: string | undefined, format: LogFormat, stderr: (line: string) => void): Log {
  const destination = file === undefined ? { write: (): void => undefined, close: (): void => undefined } : new LogFile(file, format);
  const logger = pino(
    {
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  // stderr first: if the log cannot take the line, the operator has still seen it.
  return {
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message, show = false) => {
      if (show) stderr(oneLine(message));
      logger.warn(fields, message);
    },
    error: (fields, message) => {
      stderr(oneLine(message));
      logger.error(fields, message);
    },
    close: () => destination.close(),
  };
}

/** pino's destination: each JSON line, formatted, appended to the file at once. */
class LogFile {
  private readonly fd: number;
  private failure: LogWriteError | undefined;

  constructor(
    private readonly file: string,
    private readonly format: LogFormat,
  ) {
    try {
      mkdirSync(dirname(file), { recursive: true });
      // "a": O_APPEND, every write goes to the current end of the file.
      this.fd = openSync(file, "a");
    } catch (error) {
      throw new LogWriteError(file, error);
    }
  }

  write(json: string): void {
    if (this.failure) throw this.failure;
    const line = this.format === "json" ? json : textLogLine(JSON.parse(json) as Record<string, unknown>);
    const bytes = Buffer.from(line);
    try {
      // A short write (the file system filling up) is continued; the next write then fails.
      for (let written = 0; written < bytes.length; ) {
        const count = writeSync(this.fd, bytes, written);
        if (count <= 0) throw new Error("the file system took no bytes");
        written += count;
      }
    } catch (error) {
      this.failure = new LogWriteError(this.file, error);
      throw this.failure;
    }
  }

  close(): void {
    // Every line was written when it was logged: an error on closing loses nothing.
    try {
      closeSync(this.fd);
    } catch {
      // nothing to do
    }
  }
}
