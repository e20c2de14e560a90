// Replies a front could not hand to a client, counted and logged. Where the reply direction runs in JS
// (`--forwarder js`, and the broker of a server that hosts join), the clients' ROUTER is `mandatory` with a
// zero send timeout, so libzmq tells us what a plain ROUTER drops in silence: EAGAIN for a client whose
// queue is at `--reply-hwm` (a slow consumer, dropped as NATS does, never waited on: one client that does not
// read must not hold up the others' replies), EHOSTUNREACH for a client that left. libzmq's proxy cannot do
// this (README "Nothing lost"): behind it the drops stay uncounted.
import type { FrontCounters } from "./front-events.js";
import type { Logger } from "./log.js";
import { RateLimitedLog } from "./rate-limited-log.js";

/** Counts and logs the replies one service's front could not deliver. */
export class ReplyDrops {
  private readonly slowLog: RateLimitedLog;

  constructor(
    private readonly counters: FrontCounters,
    private readonly service: string,
    logger: Logger,
    /** The clients' ROUTER send HWM, for the log line. */
    private readonly replyHighWaterMark: number,
  ) {
    this.slowLog = new RateLimitedLog(logger);
  }

  /**
   * Takes a failed send of `frames` (routing id first) to a client: true when it was a drop this class
   * accounts for (slow consumer, client gone), false for anything else (closed socket, …) the caller handles.
   */
  record(error: unknown, frames: ReadonlyArray<Uint8Array | string>): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "EHOSTUNREACH") {
      this.counters.repliesToGone++;
      return true;
    }
    if (code !== "EAGAIN") return false;
    this.counters.slowConsumerDrops++;
    const id = frames[0];
    const client = typeof id === "string" ? id : Buffer.from(id ?? []).toString("hex");
    this.slowLog.warn(
      { service: this.service, client, slowConsumerDrops: this.counters.slowConsumerDrops },
      `${this.service}: dropped a reply to client ${client}: ${this.replyHighWaterMark} replies wait unread for it (--reply-hwm); a client that does not read its replies loses them`,
    );
    return true;
  }
}
