import { BatchWriter, DecodeError, ErrorCode, firstBatchItem } from "@zpb/proto";
import type { Peer, ReceiveError, Received, RoutedDealer, RoutedIncoming, RoutedMessage } from "@zpb/transport";
import { BatchReplies } from "./batch-replies.js";
import { RequestError } from "./errors.js";
import { WorkerExit, die } from "./guard.js";
import type { HandlerContext, LoadedHandler } from "./handler.js";
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

/** A reply waiting for the socket: one message, or (items > 0) a batch frame of that many replies. */
interface Outgoing {
  peer: Peer;
  bytes: Uint8Array;
  items: number;
}

/** A request whose async handler has not settled yet; `batch` and `index` place it in a batch's reply. */
interface Awaiting<T> {
  peer: Peer;
  request: T;
  batch: BatchReplies | undefined;
  index: number;
}

/**
 * One worker's serving loop for one service: receive from the backend DEALER, decode (done by the
 * socket's codec), run the handler, encode, reply — every request gets exactly one reply, an error reply
 * when anything fails. Sync handlers take a fast path: one awaited send per message and no extra promise.
 * Async handlers run concurrently (up to `concurrency` per loop); their replies go out through a FIFO so
 * the socket never has two sends pending (zeromq allows one). A batch (docs/wire.md, "Batches") is answered
 * by one batch, in request order, once each of its requests has its reply.
 */
export class ServiceLoop<T> {
  private draining = false;
  private refusal = "";
  private asyncInFlight = 0;
  private wakeReceiver: (() => void) | undefined;
  private sending = false;
  /** Replies waiting to be sent; entries before outboxHead are sent. */
  private outbox: Outgoing[] = [];
  private outboxHead = 0;
  private readonly writer = new BatchWriter();
  /** The batch whose requests serveBatch() is still handing to the handler (it sends that one itself). */
  private batchInProgress: BatchReplies | undefined;
  private lastReceivedAt = 0;
  /** The request a sync handler is running for right now, and its peer (for abandon()). */
  private current: T | undefined;
  private currentPeer: Peer | undefined;
  /** Requests whose async handler has not settled yet, by a key of their own (for abandon()). */
  private readonly awaiting = new Map<object, Awaiting<T>>();

  constructor(
    private readonly dealer: RoutedDealer<T>,
    private readonly handler: LoadedHandler<T>,
    private readonly counters: Float64Array,
    private readonly context: HandlerContext,
    private readonly concurrency: number,
  ) {}

  /** Serves until the socket is closed. Never throws for bad input or a failing handler. */
  async run(): Promise<void> {
    const dealer = this.dealer;
    const counters = this.counters;
    for (;;) {
      const incoming = await dealer.receiveMany();
      if (incoming === undefined) return;
      if (incoming.batch) {
        await this.serveBatch(incoming);
        continue;
      }
      const received = incoming.items[0] as RoutedMessage<T>;
      received.peer = incoming.peer;
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
        this.enqueue(received.peer, bytes, 0);
      }
    }
  }

  /**
   * Answers a batch: each request in turn (sync handlers at once, async ones concurrently within the limit),
   * then one reply batch in request order. A batch refused whole (over the limits, or framing that does not
   * split) gets one single-frame error reply, keyed by its first request when that can be read.
   */
  private async serveBatch(incoming: RoutedIncoming<T>): Promise<void> {
    const counters = this.counters;
    if (this.draining) this.lastReceivedAt = performance.now();
    if (incoming.refused !== undefined) {
      counters[Counter.requests]!++;
      this.reply(incoming.peer, this.refuseBatch(incoming), 0);
      return;
    }
    const items = incoming.items;
    counters[Counter.requests]! += items.length;
    const batch = new BatchReplies(incoming.peer, items.length);
    this.batchInProgress = batch;
    try {
      for (let i = 0; i < items.length; i++) {
        const bytes = this.answerItem(items[i]!, batch, i);
        if (bytes !== undefined) batch.fill(i, bytes);
        else if (this.asyncInFlight >= this.concurrency) await new Promise<void>((wake) => (this.wakeReceiver = wake));
      }
    } finally {
      this.batchInProgress = undefined;
    }
    // Otherwise the last async reply sends it (settle()).
    if (batch.complete) await this.reply(batch.peer, batch.frame(this.writer), batch.size);
  }

  /** The single-frame error reply to a batch refused whole. */
  private refuseBatch(incoming: RoutedIncoming<T>): Uint8Array {
    const error = incoming.refused!;
    const tooBig = error.code === "TOO_LARGE" || error.code === "TOO_MANY_ITEMS";
    const body = incoming.frames.at(-1);
    const first = body === undefined ? undefined : firstBatchItem(body);
    let request: T | undefined;
    try {
      request = first === undefined ? undefined : this.handler.codec.decode(first);
    } catch {
      request = undefined; // the key is a courtesy; the refusal goes out without it
    }
    const code = tooBig ? ErrorCode.CODE_TOO_LARGE : ErrorCode.CODE_DECODE;
    return this.errorBytes(code, `batch refused: ${error.message}`, request);
  }

  /** Sends now when nothing else is pending or queued, else queues behind what is. */
  private async reply(peer: Peer, bytes: Uint8Array, items: number): Promise<void> {
    if (this.asyncInFlight > 0 || this.sending) {
      this.enqueue(peer, bytes, items);
      return;
    }
    this.counters[Counter.replies]! += Math.max(1, items);
    try {
      await this.send({ peer, bytes, items });
    } catch {
      this.counters[Counter.replies]! -= Math.max(1, items);
      this.counters[Counter.sendFailures]!++;
    }
  }

  private send(reply: Outgoing): Promise<void> {
    return reply.items > 0
      ? this.dealer.replyBatchBytes(reply.peer, reply.bytes, reply.items)
      : this.dealer.replyBytes(reply.peer, reply.bytes);
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
    if (!received.ok) return this.receiveErrorBytes(received.error);
    const request = received.message;
    if (this.draining) return this.errorBytes(ErrorCode.CODE_UNAVAILABLE, this.refusal, request);
    const peer = received.peer;
    let result: T | PromiseLike<T>;
    this.current = request;
    this.currentPeer = peer;
    try {
      result = this.handler.handle(request, this.context);
    } catch (error) {
      return this.failure(error, request);
    } finally {
      this.currentPeer = undefined;
      this.current = undefined;
    }
    if (!isThenable(result)) return this.encodeReply(result, request);
    this.asyncInFlight++;
    const waiting: Awaiting<T> = { peer, request, batch: undefined, index: 0 };
    this.awaiting.set(waiting, waiting);
    result.then(
      (reply) => this.settle(waiting, this.encodeReply(reply, request)),
      (error: unknown) => this.settle(waiting, this.failure(error, request)),
    );
    return undefined;
  }

  /** Like answer(), for request `index` of `batch`: its reply now, or undefined when an async handler fills it in later. */
  private answerItem(item: Received<T>, batch: BatchReplies, index: number): Uint8Array | undefined {
    if (!item.ok) return this.receiveErrorBytes(item.error);
    const request = item.message;
    if (this.draining) return this.errorBytes(ErrorCode.CODE_UNAVAILABLE, this.refusal, request);
    let result: T | PromiseLike<T>;
    this.current = request;
    this.currentPeer = batch.peer;
    try {
      result = this.handler.handle(request, this.context);
    } catch (error) {
      return this.failure(error, request);
    } finally {
      this.currentPeer = undefined;
      this.current = undefined;
    }
    if (!isThenable(result)) return this.encodeReply(result, request);
    this.asyncInFlight++;
    const waiting: Awaiting<T> = { peer: batch.peer, request, batch, index };
    this.awaiting.set(waiting, waiting);
    result.then(
      (reply) => this.settle(waiting, this.encodeReply(reply, request)),
      (error: unknown) => this.settle(waiting, this.failure(error, request)),
    );
    return undefined;
  }

  /** The error reply for a request that could not be decoded or had the wrong frames. */
  private receiveErrorBytes(error: ReceiveError): Uint8Array {
    const code =
      error instanceof DecodeError
        ? error.code === "TOO_LARGE"
          ? ErrorCode.CODE_TOO_LARGE
          : ErrorCode.CODE_DECODE
        : ErrorCode.CODE_BAD_FRAMES;
    return this.errorBytes(code, error.message, undefined);
  }

  /**
   * The thread is dying (see guard.ts): answer every request still being handled with CODE_HANDLER and
   * hand every queued reply to zeromq now. Best effort: a send zeromq cannot take right now is lost with
   * the thread.
   */
  abandon(reason: string): void {
    // One answer per peer message: a batch still missing replies gets one single-frame error, which a zpb
    // client takes as the refusal of the whole batch (docs/wire.md, "Batches").
    const orphans: Array<[Peer, T | undefined]> = [];
    const batches = new Set<BatchReplies>();
    for (const waiting of this.awaiting.values()) {
      if (waiting.batch === undefined) orphans.push([waiting.peer, waiting.request]);
      else if (!batches.has(waiting.batch)) {
        batches.add(waiting.batch);
        orphans.push([waiting.peer, waiting.request]);
      }
    }
    if (this.currentPeer !== undefined) orphans.push([this.currentPeer, this.current]);
    this.awaiting.clear();
    this.currentPeer = undefined;
    this.asyncInFlight = 0;
    const wake = this.wakeReceiver;
    this.wakeReceiver = undefined;
    wake?.();
    const pending = this.outbox.slice(this.outboxHead);
    this.outbox = [];
    this.outboxHead = 0;
    for (const [peer, request] of orphans) {
      pending.push({ peer, bytes: this.errorBytes(ErrorCode.CODE_HANDLER, reason, request), items: 0 });
    }
    for (const reply of pending) {
      const count = Math.max(1, reply.items);
      this.counters[Counter.replies]! += count;
      this.send(reply).catch(() => {
        this.counters[Counter.replies]! -= count;
        this.counters[Counter.sendFailures]!++;
      });
    }
  }

  private settle(waiting: Awaiting<T>, bytes: Uint8Array): void {
    if (!this.awaiting.delete(waiting)) return; // abandoned: already answered
    this.asyncInFlight--;
    const batch = waiting.batch;
    if (batch === undefined) this.enqueue(waiting.peer, bytes, 0);
    // The batch's receive loop sends it if it is still handing out requests; the last async reply sends it otherwise.
    else if (batch.fill(waiting.index, bytes) && this.batchInProgress !== batch) {
      this.enqueue(batch.peer, batch.frame(this.writer), batch.size);
    }
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

  private enqueue(peer: Peer, bytes: Uint8Array, items: number): void {
    this.outbox.push({ peer, bytes, items });
    if (!this.sending) void this.flush();
  }

  /** Sends queued replies one at a time (zeromq allows one pending send per socket). */
  private async flush(): Promise<void> {
    this.sending = true;
    while (this.outboxHead < this.outbox.length) {
      const reply = this.outbox[this.outboxHead++]!;
      const count = Math.max(1, reply.items);
      this.counters[Counter.replies]! += count;
      try {
        await this.send(reply);
      } catch {
        this.counters[Counter.replies]! -= count;
        this.counters[Counter.sendFailures]!++;
      }
      // Drop sent entries now and then, so a long burst does not keep every reply alive.
      if (this.outboxHead >= 1024) {
        this.outbox = this.outbox.slice(this.outboxHead);
        this.outboxHead = 0;
      }
    }
    this.outbox = [];
    this.outboxHead = 0;
    this.sending = false;
  }
}
