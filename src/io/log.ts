// The log: pino JSON lines in `<state_dir>/leasegen.log`, ISO-8601 time and the level's name.
// Errors also go to stderr, one line each, for cron to mail; a good run prints nothing there.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pino from "pino";

export interface Log {
  info(fields: object, message: string): void;
  /** Logged; also shown on stderr when `show` (a warning the operator must act on). */
  warn(fields: object, message: string, show?: boolean): void;
  /** Logged, and shown to the operator on stderr. */
  error(fields: object, message: string): void;
  /** Waits until every line is on disk. */
  flush(): void;
}

export function openLog(file: string, stderr: (line: string) => void): Log {
  mkdirSync(dirname(file), { recursive: true });
  const destination = pino.destination({ dest: file, append: true, sync: true, mkdir: true });
  const logger = pino(
    {
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message, show = false) => {
      logger.warn(fields, message);
      if (show) stderr(message);
    },
    error: (fields, message) => {
      logger.error(fields, message);
      stderr(message);
    },
    flush: () => destination.flushSync(),
  };
}
