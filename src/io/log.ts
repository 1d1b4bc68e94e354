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
import { SAID_IN_MESSAGE, boundedFields, boundedMessage, oneLine, textLogLine } from "../core/log-line.js";
import { ExitCode, FatalError, describe } from "../errors.js";

/**
 * Each method takes the event's fields, its message, and `said`: the fields whose values the
 * message states. The text format leaves those out (a line says a thing once); json keeps all.
 * Every value and the message are bounded (core/log-line.ts), on stderr too.
 */
export interface Log {
  info(fields: object, message: string, said?: object): void;
  /** Logged; also shown on stderr when `show` (a warning the operator must act on). */
  warn(fields: object, message: string, show?: boolean, said?: object): void;
  /** Shown to the operator on stderr, and logged. */
  error(fields: object, message: string, said?: object): void;
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
  const record = (fields: object, said: object): object => {
    const all = boundedFields({ ...said, ...fields });
    const saidKeys = Object.keys(said);
    return format === "text" && saidKeys.length > 0 ? { ...all, [SAID_IN_MESSAGE]: saidKeys } : all;
  };
  // stderr first: if the log cannot take the line, the operator has still seen it.
  return {
    info: (fields, message, said = {}) => logger.info(record(fields, said), boundedMessage(message)),
    warn: (fields, message, show = false, said = {}) => {
      if (show) stderr(oneLine(boundedMessage(message)));
      logger.warn(record(fields, said), boundedMessage(message));
    },
    error: (fields, message, said = {}) => {
      stderr(oneLine(boundedMessage(message)));
      logger.error(record(fields, said), boundedMessage(message));
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
