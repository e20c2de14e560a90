import { DecodeError, ErrorCode } from "@zpb/proto";
import type { Peer, RoutedDealer, RoutedMessage } from "@zpb/transport";
import { RequestError } from "./errors.js";
import { WorkerExit, die } from "./guard.js";
import type { HandlerContext, LoadedHandler } from "./handler.js";
import type { DurationRecorder } from "./durations.js";
import { Counter } from "./stats.js";

const EMPTY = new Uint8Array(0);

/** Which counter an ErrorReply code lands in. */
const COUNTER_OF_CODE: Partial<Record<number, number>> = {
  [ErrorCode.CODE_DECODE]: Counter.decodeErrors,
  [ErrorCode.CODE_UNKNOWN_PAYLOAD]: Counter.unknownPayload,
  [ErrorCode.CODE_BAD_FRAMES]: Counter.badFrames,
  [ErrorCode.CODE_TOO_LARGE]: Counter.tooLarge,
  [ErrorCode.CODE_UNAVAILABLE]: Counter.unavailable,
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/**
 * One worker's serving loop for one service: receive from the backend DEALER, decode (done by the
 * socket's codec), run the handler, encode, reply — every request gets exactly one reply, an error reply
 * when anything fails. Sync handlers take a fast path: one awaited send per message and no extra promise.
 * Async handlers run concurrently (up to `concurrency` per loop); their replies go out through a FIFO so
 * the socket never has two sends pending (zeromq allows one).
 */
export class ServiceLoop<T> {
  private draining = false;
  private refusal = "";
  private asyncInFlight = 0;
  private wakeReceiver: (() => void) | undefined;
  private sending = false;
  /** Replies waiting to be sent, as [peer, bytes] pairs flattened; entries before outboxHead are sent. */
  private readonly outbox: Array<Peer | Uint8Array> = [];
  private outboxHead = 0;
  private lastReceivedAt = 0;
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
  ) {}

  /** Serves until the socket is closed. Never throws for bad input or a failing handler. */
  async run(): Promise<void> {
    const dealer = this.dealer;
    const counters = this.counters;
    for (;;) {
      const received = await dealer.receive();
      if (received === undefined) return;
      counters[Counter.requests]!++;
      if (this.draining) this.lastReceivedAt = performance.now();
      const bytes = this.answer(received);
      if (bytes === undefined) {
        if (this.asyncInFlight >= this.concurrency) await new Promise<void>((wake) => (this.wakeReceiver = wake));
        continue;
      }
      if (this.asyncInFlight === 0 && !this.sending) {
        // Counted before the send resolves: the peer may read the reply before this thread runs again.
        counters[Counter.replies]!++;
        try {
          await dealer.replyBytes(received.peer, bytes);
        } catch {
          counters[Counter.replies]!--;
          counters[Counter.sendFailures]!++;
        }
      } else {
        this.enqueue(received.peer, bytes);
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
    return this.asyncInFlight === 0 && !this.sending && this.outbox.length === 0;
  }

  /** When the last request arrived after drain() (performance.now() ms). */
  get lastRequestAt(): number {
    return this.lastReceivedAt;
  }

  /** The encoded reply now, or undefined when an async handler will enqueue it later. */
  private answer(received: RoutedMessage<T>): Uint8Array | undefined {
    if (!received.ok) {
      const error = received.error;
      const code =
        error instanceof DecodeError
          ? error.code === "TOO_LARGE"
            ? ErrorCode.CODE_TOO_LARGE
            : ErrorCode.CODE_DECODE
          : ErrorCode.CODE_BAD_FRAMES;
      return this.errorBytes(code, error.message, undefined);
    }
    const request = received.message;
    if (this.draining) return this.errorBytes(ErrorCode.CODE_UNAVAILABLE, this.refusal, request);
    const peer = received.peer;
    let result: T | PromiseLike<T>;
    this.current = request;
    this.currentPeer = peer;
    const started = performance.now();
    try {
      result = this.handler.handle(request, this.context);
    } catch (error) {
      this.durations?.observe(performance.now() - started);
      return this.failure(error, request);
    } finally {
      this.currentPeer = undefined;
      this.current = undefined;
    }
    if (!isThenable(result)) {
      this.durations?.observe(performance.now() - started);
      return this.encodeReply(result, request);
    }
    this.asyncInFlight++;
    this.awaiting.set(peer, request);
    result.then(
      (reply) => {
        this.durations?.observe(performance.now() - started);
        this.settle(peer, this.encodeReply(reply, request));
      },
      (error: unknown) => {
        this.durations?.observe(performance.now() - started);
        this.settle(peer, this.failure(error, request));
      },
    );
    return undefined;
  }

  /**
   * The thread is dying (see guard.ts): answer every request still being handled with CODE_HANDLER and
   * hand every queued reply to zeromq now. Best effort: a send zeromq cannot take right now is lost with
   * the thread.
   */
  abandon(reason: string): void {
    const orphans = [...this.awaiting];
    if (this.currentPeer !== undefined) orphans.push([this.currentPeer, this.current as T]);
    this.awaiting.clear();
    this.currentPeer = undefined;
    this.asyncInFlight = 0;
    const wake = this.wakeReceiver;
    this.wakeReceiver = undefined;
    wake?.();
    const pending: Array<Peer | Uint8Array> = this.outbox.slice(this.outboxHead);
    this.outbox.length = 0;
    this.outboxHead = 0;
    for (const [peer, request] of orphans) pending.push(peer, this.errorBytes(ErrorCode.CODE_HANDLER, reason, request));
    for (let i = 0; i < pending.length; i += 2) {
      this.counters[Counter.replies]!++;
      this.dealer.replyBytes(pending[i] as Peer, pending[i + 1] as Uint8Array).catch(() => {
        this.counters[Counter.replies]!--;
        this.counters[Counter.sendFailures]!++;
      });
    }
  }

  private settle(peer: Peer, bytes: Uint8Array): void {
    if (!this.awaiting.delete(peer)) return; // abandoned: already answered
    this.asyncInFlight--;
    this.enqueue(peer, bytes);
    const wake = this.wakeReceiver;
    if (wake !== undefined && this.asyncInFlight < this.concurrency) {
      this.wakeReceiver = undefined;
      wake();
    }
  }

  private encodeReply(reply: T, request: T): Uint8Array {
    try {
      return this.handler.codec.encode(reply);
    } catch (error) {
      this.counters[Counter.handlerErrors]!++;
      const text = error instanceof Error ? error.message : String(error);
      return this.errorBytes(
        ErrorCode.CODE_HANDLER,
        `the handler's reply could not be encoded: ${text}`,
        request,
        false,
      );
    }
  }

  /** The error reply for a handler that threw or rejected. */
  private failure(error: unknown, request: T): Uint8Array {
    if (error instanceof RequestError) return this.errorBytes(error.code, error.message, request);
    if (error instanceof WorkerExit) {
      // The handler called process.exit(): answer this request, then the thread goes (see guard.ts).
      queueMicrotask(() => die(error));
      return this.errorBytes(ErrorCode.CODE_HANDLER, error.message, request);
    }
    const text = error instanceof Error ? error.message : String(error);
    return this.errorBytes(ErrorCode.CODE_HANDLER, `handler failed: ${text}`, request);
  }

  /** Counts the fault and encodes its reply in the handler's schema (an empty frame when it has none). */
  private errorBytes(code: ErrorCode, message: string, request: T | undefined, count = true): Uint8Array {
    if (count) this.counters[COUNTER_OF_CODE[code] ?? Counter.handlerErrors]!++;
    const build = this.handler.errorReply;
    if (build === undefined) return EMPTY;
    try {
      return this.handler.codec.encode(build(code, message, request));
    } catch {
      return EMPTY;
    }
  }

  private enqueue(peer: Peer, bytes: Uint8Array): void {
    this.outbox.push(peer, bytes);
    if (!this.sending) void this.flush();
  }

  /** Sends queued replies one at a time (zeromq allows one pending send per socket). */
  private async flush(): Promise<void> {
    this.sending = true;
    const outbox = this.outbox;
    while (this.outboxHead < outbox.length) {
      const peer = outbox[this.outboxHead++] as Peer;
      const bytes = outbox[this.outboxHead++] as Uint8Array;
      this.counters[Counter.replies]!++;
      try {
        await this.dealer.replyBytes(peer, bytes);
      } catch {
        this.counters[Counter.replies]!--;
        this.counters[Counter.sendFailures]!++;
      }
      // Drop sent entries now and then, so a long burst does not keep every reply alive.
      if (this.outboxHead >= 1024) {
        outbox.splice(0, this.outboxHead);
        this.outboxHead = 0;
      }
    }
    outbox.length = 0;
    this.outboxHead = 0;
    this.sending = false;
  }
}
