// One log line per kind of refusal per interval, however hard a peer pushes: a flood of refusals must be
// visible (a counter and a line) without the log itself becoming the next resource a hostile peer exhausts.
import type { Logger } from "./log.js";

/** How often a given kind of refusal may be logged (ms). */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Logs `warn` lines of one kind at most once per `intervalMs`; the line says how many events it covers
 * (the first one is logged at once, the rest are summed into the next line).
 */
export class RateLimitedLog {
  private lastAt = Number.NEGATIVE_INFINITY;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = REFUSAL_LOG_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Logs now if the interval has passed since the last line, otherwise counts the event for the next one. */
  warn(fields: object, message: string): void {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    const also = this.suppressed;
    this.suppressed = 0;
    this.lastAt = now;
    this.logger.warn(
      also === 0 ? fields : { ...fields, alsoSince: also },
      also === 0 ? message : `${message} (and ${also} more since the last such line)`,
    );
  }
}
