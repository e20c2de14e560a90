import { DecodeError, ErrorCode } from "@zpb/proto";
import type { Peer, RoutedDealer, RoutedMessage } from "@zpb/transport";
import { RequestError } from "./errors.js";
import { WorkerExit, die } from "./guard.js";
import type { LoadedHandler } from "./handler.js";
import { InFlight } from "./in-flight.js";
import type { LivenessCells } from "./liveness.js";
import { RequestContext, type ServiceIdentity } from "./request-context.js";
import { Counter } from "./stats.js";

const EMPTY = new Uint8Array(0);

/** Which counter an ErrorReply code lands in. */
const COUNTER_OF_CODE: Partial<Record<number, number>> = {
  [ErrorCode.CODE_DECODE]: Counter.decodeErrors,
  [ErrorCode.CODE_UNKNOWN_PAYLOAD]: Counter.unknownPayload,
  [ErrorCode.CODE_BAD_FRAMES]: Counter.badFrames,
  [ErrorCode.CODE_TOO_LARGE]: Counter.tooLarge,
  [ErrorCode.CODE_UNAVAILABLE]: Counter.unavailable,
  [ErrorCode.CODE_DEADLINE]: Counter.deadlines,
};

/** What bounds one serving loop (see SERVER_SETTINGS: concurrency, handlerTimeout, maxInFlightBytes). */
export interface LoopLimits {
  /** Async handler calls in flight before the loop stops receiving. */
  concurrency: number;
  /** ms after which an async handler call is answered with CODE_DEADLINE and its signal aborts; 0 = never. */
  handlerTimeout: number;
  /** Request bytes held by running async calls before the loop stops receiving. */
  maxInFlightBytes: number;
}

/** Why a request's signal aborted because its deadline passed (the `reason` of the AbortSignal). */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/** A short description of a request for logs: its payload case and seq for Envelopes, its type otherwise. */
function describeRequest(request: unknown): string {
  if (request instanceof Uint8Array) return `${request.length} raw bytes`;
  const payload = (request as { payload?: { case?: unknown; value?: { seq?: unknown } } } | undefined)?.payload;
  if (payload !== undefined && typeof payload.case === "string") {
    const seq = payload.value?.seq;
    return seq === undefined ? payload.case : `${payload.case} seq ${String(seq)}`;
  }
  return request === undefined ? "nothing" : `a ${typeof request} request`;
}

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
  private readonly inFlight = new InFlight<T>();
  private wakeReceiver: (() => void) | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** True while run() awaits a receive (a thread with a receive pending cannot be ended from outside). */
  private receiving = false;
  private sending = false;
  /** Replies waiting to be sent, as [peer, bytes] pairs flattened; entries before outboxHead are sent. */
  private readonly outbox: Array<Peer | Uint8Array> = [];
  private outboxHead = 0;
  private lastReceivedAt = 0;
  /** The request a sync handler is running for right now, and its peer (for abandon() and stall reports). */
  private current: T | undefined;
  private currentPeer: Peer | undefined;

  constructor(
    private readonly dealer: RoutedDealer<T>,
    private readonly handler: LoadedHandler<T>,
    private readonly counters: Float64Array,
    private readonly identity: ServiceIdentity,
    private readonly limits: LoopLimits,
    private readonly liveness?: LivenessCells,
  ) {}

  /** Serves until the socket is closed. Never throws for bad input or a failing handler. */
  async run(): Promise<void> {
    const dealer = this.dealer;
    const counters = this.counters;
    const liveness = this.liveness;
    for (;;) {
      this.receiving = true;
      if (liveness !== undefined) liveness.receivePending = true;
      const received = await dealer.receive();
      this.receiving = false;
      if (liveness !== undefined) liveness.receivePending = false;
      if (received === undefined) return;
      counters[Counter.requests]!++;
      if (this.draining) this.lastReceivedAt = performance.now();
      const bytes = this.answer(received);
      if (bytes === undefined) {
        if (this.full) await new Promise<void>((wake) => (this.wakeReceiver = wake));
        continue;
      }
      if (this.inFlight.size === 0 && !this.sending) {
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

  /**
   * From now on requests not yet handled are refused with CODE_UNAVAILABLE; handlers already running finish
   * (their signals abort, so long work can give up).
   */
  drain(reason = "the server is stopping"): void {
    this.draining = true;
    this.refusal = reason;
    this.lastReceivedAt = performance.now();
    for (const call of this.inFlight.values()) call.context.abort(new Error(reason));
  }

  /**
   * The thread was stuck and its script has been unwound (see thread-interrupt.ts): answers what it held
   * with CODE_DEADLINE and refuses what comes next. A run() stuck in a sync handler call was unwound with it
   * and never resumes, so a new one is started (returned) to do the refusing; a run() waiting on a receive
   * is still alive and carries on.
   */
  interrupted(reason: string, refusal: string): Promise<void> | undefined {
    const runWasUnwound = this.currentPeer !== undefined;
    this.abandon(reason, ErrorCode.CODE_DEADLINE);
    this.drain(refusal);
    return runWasUnwound ? this.run() : undefined;
  }

  /** What the loop is running right now, for a stall report: the sync handler's request, else the oldest async one. */
  describeRunning(): string {
    if (this.currentPeer !== undefined)
      return `${this.identity.service}: ${describeRequest(this.current)} (in the handler call)`;
    const oldest = this.inFlight.oldest();
    if (oldest === undefined) return `${this.identity.service}: no request (outside any handler call)`;
    const calls = this.inFlight.size;
    return `${this.identity.service}: ${calls} async call(s), the oldest ${describeRequest(oldest.request)}`;
  }

  /** True when no handler is running and no reply is waiting to be sent. */
  get settled(): boolean {
    return this.inFlight.size === 0 && !this.sending && this.outbox.length === 0;
  }

  /** Whether the loop must stop receiving until some async call finishes. */
  private get full(): boolean {
    return this.inFlight.size >= this.limits.concurrency || this.inFlight.bytes > this.limits.maxInFlightBytes;
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
    const context = new RequestContext(this.identity);
    this.current = request;
    this.currentPeer = peer;
    try {
      result = this.handler.handle(request, context);
    } catch (error) {
      return this.failure(error, request);
    } finally {
      this.currentPeer = undefined;
      this.current = undefined;
    }
    if (!isThenable(result)) return this.encodeReply(result, request);
    const frames = received.frames;
    const bytes = frames.length === 0 ? 0 : frames[frames.length - 1]!.length;
    this.inFlight.add({ peer, request, bytes, startedAt: performance.now(), context });
    this.armDeadline();
    result.then(
      (reply) => this.settle(peer, this.encodeReply(reply, request)),
      (error: unknown) => this.settle(peer, this.failure(error, request)),
    );
    return undefined;
  }

  /**
   * The thread is dying (see guard.ts): answer every request still being handled with CODE_HANDLER and
   * hand every queued reply to zeromq now. Best effort: a send zeromq cannot take right now is lost with
   * the thread.
   */
  abandon(reason: string, code: ErrorCode = ErrorCode.CODE_HANDLER): void {
    const orphans: Array<[Peer, T]> = this.inFlight.takeAll().map((call) => {
      call.context.abort(new Error(reason));
      return [call.peer, call.request];
    });
    if (this.currentPeer !== undefined) orphans.push([this.currentPeer, this.current as T]);
    this.currentPeer = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    const wake = this.wakeReceiver;
    this.wakeReceiver = undefined;
    wake?.();
    const pending: Array<Peer | Uint8Array> = this.outbox.slice(this.outboxHead);
    this.outbox.length = 0;
    this.outboxHead = 0;
    for (const [peer, request] of orphans) pending.push(peer, this.errorBytes(code, reason, request));
    for (let i = 0; i < pending.length; i += 2) {
      this.counters[Counter.replies]!++;
      this.dealer.replyBytes(pending[i] as Peer, pending[i + 1] as Uint8Array).catch(() => {
        this.counters[Counter.replies]!--;
        this.counters[Counter.sendFailures]!++;
      });
    }
  }

  private settle(peer: Peer, bytes: Uint8Array): void {
    if (this.inFlight.take(peer) === undefined) return; // past its deadline or abandoned: already answered
    this.enqueue(peer, bytes);
    this.wakeIfRoom();
  }

  private wakeIfRoom(): void {
    const wake = this.wakeReceiver;
    if (wake !== undefined && !this.full) {
      this.wakeReceiver = undefined;
      wake();
    }
  }

  /** Keeps one timer for the oldest async call's deadline (calls all get the same timeout, so it expires first). */
  private armDeadline(): void {
    const timeout = this.limits.handlerTimeout;
    if (timeout <= 0 || this.deadlineTimer !== undefined) return;
    const oldest = this.inFlight.oldest();
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.startedAt + timeout - performance.now());
    this.deadlineTimer = setTimeout(() => this.expireDeadlines(), wait);
    this.deadlineTimer.unref();
  }

  /** Answers every async call past its deadline with CODE_DEADLINE, aborts its signal and frees its slot. */
  private expireDeadlines(): void {
    this.deadlineTimer = undefined;
    const timeout = this.limits.handlerTimeout;
    const reason = `the handler did not finish within ${timeout} ms`;
    for (const call of this.inFlight.expire(performance.now() - timeout)) {
      call.context.abort(new DeadlineExceeded(reason));
      this.enqueue(call.peer, this.errorBytes(ErrorCode.CODE_DEADLINE, reason, call.request));
    }
    this.wakeIfRoom();
    this.armDeadline();
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
