// SIGTERM (systemd stopping the timer's service, kill), SIGINT (Ctrl-C) and SIGHUP (a closed
// terminal) interrupt a run rather than end the process where it stands: the run starts no more
// work, kills the process groups it started (post_hook, make-lease.sh) and waits for them, logs
// and records that it was interrupted, frees its lock, and exits 128 + the signal's number.
// Without a listener Node would die at once, leaving the hook's group running outside
// post_hook_timeout with the lock already free. While this listens, write-file-atomic's
// signal-exit stands aside (it acts only when it is a signal's sole listener).
import { constants } from "node:os";

const SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
export type InterruptSignal = (typeof SIGNALS)[number];

export class Interruption {
  private readonly controller = new AbortController();
  private readonly listener = (signal: NodeJS.Signals): void => {
    // A second signal changes nothing: the run is already ending, within bounds.
    if (!this.controller.signal.aborted) this.controller.abort(signal);
  };

  private constructor() {
    for (const signal of SIGNALS) process.on(signal, this.listener);
  }

  /** Listens for the signals until dispose(). */
  static listen(): Interruption {
    return new Interruption();
  }

  /** Aborted at the first signal, with the signal's name as its reason; what the run passes down. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The signal that interrupted the run, if one did. */
  get by(): InterruptSignal | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as InterruptSignal) : undefined;
  }

  /** Once interrupted, 128 + the signal's number, as a shell reports a process a signal ended (143 for SIGTERM). */
  get exitCode(): number | undefined {
    const signal = this.by;
    return signal === undefined ? undefined : 128 + constants.signals[signal];
  }

  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.listener);
  }
}
