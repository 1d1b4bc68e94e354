// The errors the program expects, each with the thing it concerns, and the exit codes (SPEC §7).

export const ExitCode = {
  /** Every school done or up to date. */
  Ok: 0,
  /** Another instance holds the lock. */
  AlreadyRunning: 1,
  /** Bad command line or configuration. */
  Usage: 2,
  /** Some schools (or the stolen list) failed; the rest were done. */
  SomeFailed: 3,
  /** Nothing could be done: inventario unreachable, school list refused, key unusable. */
  NothingDone: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error that ends the run: before any school is looked at, or when the log or state_dir can
 * no longer be written. A step that catches errors to fail one school lets it through.
 */
export class FatalError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failed call to inventario: names the call, the school and the HTTP status where known. */
export class InventarioError extends Error {
  constructor(
    readonly call: string,
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A lease that could not be signed, naming the laptop. */
export class SignerError extends Error {
  constructor(
    readonly serial: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`laptop ${serial}: ${message}`, options);
  }
}

/** Why a school failed; its previous files are left as they were. */
export class SchoolError extends Error {
  constructor(
    readonly hostname: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** One line for the operator, whatever was thrown. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/\s*\n\s*/g, " ");
  return String(error);
}
