import cliProgress from "cli-progress";

/** How often a non-TTY run prints a progress line. */
const LINE_EVERY_MS = 1000;

/**
 * Progress for long runs, on stderr: a cli-progress bar on a terminal, a line per second otherwise (CI logs,
 * pipes; only when the count moved). Short runs print nothing: the first line/bar appears only after a second.
 */
export class Progress {
  private done = 0;
  private printed = -1;
  private readonly started = performance.now();
  private bar: cliProgress.SingleBar | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly label: string,
    /** Expected total; 0 when unbounded. */
    private readonly total: number,
    enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (!enabled) return;
    this.timer = setInterval(() => this.tick(), LINE_EVERY_MS);
    this.timer.unref(); // progress must never keep the process alive
  }

  /** Sets how many items are done. */
  update(done: number): void {
    this.done = done;
    this.bar?.update(done, { rate: this.rate() });
  }

  /** Stops and clears the bar. */
  stop(): void {
    clearInterval(this.timer);
    this.bar?.stop();
    this.bar = undefined;
  }

  private tick(): void {
    if (this.stream.isTTY) {
      if (this.bar === undefined) {
        this.bar = new cliProgress.SingleBar(
          {
            stream: this.stream,
            format:
              this.total > 0 ? `${this.label} [{bar}] {value}/{total} {rate}/s` : `${this.label} {value} {rate}/s`,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(this.total || Infinity, this.done, { rate: this.rate() });
      } else {
        this.bar.update(this.done, { rate: this.rate() });
      }
      return;
    }
    if (this.done === this.printed) return; // idle: a line per second saying nothing changed is noise
    this.printed = this.done;
    const of = this.total > 0 ? `/${this.total} (${Math.floor((100 * this.done) / this.total)}%)` : "";
    this.stream.write(`${this.label}: ${this.done}${of}, ${this.rate()}/s\n`);
  }

  private rate(): number {
    const seconds = (performance.now() - this.started) / 1000;
    return seconds > 0 ? Math.round(this.done / seconds) : 0;
  }
}
