import { ErrorCode } from "@zpb/proto";
import type { Peer, RoutedDealer, RoutedMessage } from "@zpb/transport";
import { ErrorReplies } from "./error-replies.js";
import type { HandlerContext, LoadedHandler } from "./handler.js";
import type { DurationRecorder } from "./durations.js";
import type { OutgoingReply } from "./outbox.js";
import { ReplySender } from "./reply-sender.js";
import { Counter } from "./stats.js";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/**
 * One worker's serving loop for one service: receive from the backend DEALER, decode (done by the
 * socket's codec), run the handler, encode, reply — every request gets exactly one reply, an error reply
 * when anything fails (ErrorReplies). Sync handlers take a fast path: one awaited send per message and no
 * extra promise. Async handlers run concurrently (up to `concurrency` per loop); their replies go out in
 * completion order through the ReplySender's queue.
 */
export class ServiceLoop<T> {
  private draining = false;
  private refusal = "";
  private asyncInFlight = 0;
  private wakeReceiver: (() => void) | undefined;
  private lastReceivedAt = 0;
  private readonly sender: ReplySender<T>;
  private readonly errors: ErrorReplies<T>;
  /** The request a sync handler is running for right now, and its peer (for abandon()). */
  private current: T | undefined;
  private currentPeer: Peer | undefined;
  /** Requests whose async handler has not settled yet, by peer (for abandon()). */
  private readonly awaiting = new Map<Peer, T>();

  constructor(
    private readonly dealer: RoutedDealer<T>,
    private readonly handler: LoadedHandler<T>,
    private readonly counters: Float64Array,
    private readonly context: HandlerContext,
    private readonly concurrency: number,
    /** Where handler durations go (shared memory, read by the metrics endpoint); none in some tests. */
    private readonly durations?: DurationRecorder,
  ) {
    this.sender = new ReplySender(dealer, counters);
    this.errors = new ErrorReplies(handler, counters);
  }

  /** Serves until the socket is closed. Never throws for bad input or a failing handler. */
  async run(): Promise<void> {
    for (;;) {
      const received = await this.dealer.receive();
      if (received === undefined) return;
      this.counters[Counter.requests]!++;
      if (this.draining) this.lastReceivedAt = performance.now();
      const bytes = this.answer(received);
      if (bytes === undefined) {
        if (this.asyncInFlight >= this.concurrency) await new Promise<void>((wake) => (this.wakeReceiver = wake));
      } else if (this.asyncInFlight === 0 && this.sender.idle) {
        await this.sender.send(received.peer, bytes);
      } else {
        this.sender.enqueue(received.peer, bytes);
      }
    }
  }

  /** From now on requests not yet handled are refused with CODE_UNAVAILABLE; handlers already running finish. */
  drain(reason = "the server is stopping"): void {
    this.draining = true;
    this.refusal = reason;
    this.lastReceivedAt = performance.now();
  }

  /** True when no handler is running and no reply is waiting to be sent. */
  get settled(): boolean {
    return this.asyncInFlight === 0 && this.sender.idle;
  }

  /** When the last request arrived after drain() (performance.now() ms). */
  get lastRequestAt(): number {
    return this.lastReceivedAt;
  }

  /**
   * The thread is dying (see guard.ts): answer every request still being handled with CODE_HANDLER and
   * hand every queued reply to zeromq now.
   */
  abandon(reason: string): void {
    const orphans = [...this.awaiting];
    if (this.currentPeer !== undefined) orphans.push([this.currentPeer, this.current as T]);
    this.awaiting.clear();
    this.currentPeer = undefined;
    this.current = undefined;
    this.asyncInFlight = 0;
    this.wake();
    const answers: OutgoingReply[] = orphans.map(([peer, request]) => ({
      peer,
      bytes: this.errors.build(ErrorCode.CODE_HANDLER, reason, request),
    }));
    this.sender.sendAllNow(answers);
  }

  /** The encoded reply now, or undefined when an async handler will enqueue it later. */
  private answer(received: RoutedMessage<T>): Uint8Array | undefined {
    if (!received.ok) return this.errors.forReceiveError(received.error);
    const request = received.message;
    if (this.draining) return this.errors.build(ErrorCode.CODE_UNAVAILABLE, this.refusal, request);
    const peer = received.peer;
    let result: T | PromiseLike<T>;
    this.current = request;
    this.currentPeer = peer;
    const durations = this.durations?.sample() === true ? this.durations : undefined;
    const started = durations === undefined ? 0 : performance.now();
    try {
      result = this.handler.handle(request, this.context);
    } catch (error) {
      durations?.observe(performance.now() - started);
      return this.errors.forFailure(error, request);
    } finally {
      this.currentPeer = undefined;
      this.current = undefined;
    }
    if (!isThenable(result)) {
      durations?.observe(performance.now() - started);
      return this.encode(result, request);
    }
    this.asyncInFlight++;
    this.awaiting.set(peer, request);
    result.then(
      (reply) => {
        durations?.observe(performance.now() - started);
        this.settle(peer, this.encode(reply, request));
      },
      (error: unknown) => {
        durations?.observe(performance.now() - started);
        this.settle(peer, this.errors.forFailure(error, request));
      },
    );
    return undefined;
  }

  private settle(peer: Peer, bytes: Uint8Array): void {
    if (!this.awaiting.delete(peer)) return; // abandoned: already answered
    this.asyncInFlight--;
    this.sender.enqueue(peer, bytes);
    if (this.asyncInFlight < this.concurrency) this.wake();
  }

  private wake(): void {
    const wake = this.wakeReceiver;
    this.wakeReceiver = undefined;
    wake?.();
  }

  private encode(reply: T, request: T): Uint8Array {
    try {
      return this.handler.codec.encode(reply);
    } catch (error) {
      return this.errors.forUnencodable(error, request);
    }
  }
}
