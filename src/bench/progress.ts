/**
 * A one-line progress bar on a terminal, redrawn in place; nothing at all
 * when the stream is not a TTY (CI logs, pipes, files).
 */

/** What the bar writes to: a stream that may be a terminal. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): unknown;
}

export class ProgressBar {
  readonly enabled: boolean;
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #started = performance.now();
  #done = 0;

  /**
   * @param total the number of steps the run will make.
   * @param stream where to draw (default `process.stderr`, so stdout stays the report).
   */
  constructor(total: number, stream: ProgressStream = process.stderr) {
    this.#stream = stream;
    this.#total = Math.max(1, total);
    this.enabled = stream.isTTY === true;
  }

  /** One step done; `label` says what ran. */
  tick(label: string): void {
    this.#done = Math.min(this.#total, this.#done + 1);
    if (!this.enabled) return;
    const width = Math.max(40, Math.min(this.#stream.columns ?? 80, 120)) - 1;
    const fraction = this.#done / this.#total;
    const bar = `[${"█".repeat(Math.round(fraction * 24)).padEnd(24, "░")}]`;
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(0);
    const line = `${bar} ${String(Math.round(fraction * 100)).padStart(3)}% ${seconds}s ${label}`;
    this.#stream.write(`\r${line.slice(0, width).padEnd(width)}`);
  }

  /** Erase the bar, leaving the line empty for what follows. */
  finish(): void {
    if (this.enabled) this.#stream.write("\r\x1b[2K");
  }
}
