// One self-updating line on a terminal (issue 8 §5): drawn over itself with a carriage return,
// at most every REFRESH_MS, erased before anything else is printed and at the end. Made only
// when stderr is a terminal: under cron or in a pipe there is no progress line at all.
import { progressLine, type RunProgress } from "../core/progress.js";

const REFRESH_MS = 100;
const ERASE_LINE = "\r\u001b[K";

export interface ProgressClock {
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called. */
  every(ms: number, tick: () => void): () => void;
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

export class ProgressLine {
  private progress: RunProgress | undefined;
  private shown = "";
  private stopTimer: (() => void) | undefined;
  private readonly startedAt: number;

  constructor(
    private readonly write: (text: string) => void,
    /** The terminal's width: a longer line would wrap, and the next one not overwrite it. */
    private readonly columns: () => number,
    private readonly clock: ProgressClock = realClock,
  ) {
    this.startedAt = clock.now();
  }

  /** The progress line for a stream, if the stream is a terminal. */
  static onTerminal(stream: NodeJS.WriteStream, write: (text: string) => void): ProgressLine | undefined {
    return stream.isTTY ? new ProgressLine(write, () => stream.columns || 80) : undefined;
  }

  /** Shown at once the first time, then on the next refresh. */
  update(progress: RunProgress): void {
    const first = this.progress === undefined;
    this.progress = progress;
    if (first) {
      this.draw();
      this.stopTimer = this.clock.every(REFRESH_MS, () => this.draw());
    }
  }

  /** Prints text (whole lines) above the progress line. */
  print(text: string): void {
    if (this.shown !== "") this.write(ERASE_LINE);
    this.shown = "";
    this.write(text);
    this.draw();
  }

  /** Erases the line for good. */
  clear(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
    if (this.shown !== "") this.write(ERASE_LINE);
    this.shown = "";
    this.progress = undefined;
  }

  private draw(): void {
    if (this.progress === undefined) return;
    const elapsed = (this.clock.now() - this.startedAt) / 1000;
    const line = progressLine(this.progress, elapsed).slice(0, Math.max(10, this.columns() - 1));
    if (line === this.shown) return;
    this.write(`\r${line}\u001b[K`);
    this.shown = line;
  }
}
