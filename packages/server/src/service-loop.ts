import { BatchWriter, ErrorCode } from "@zpb/proto";
import { firstBatchItem } from "@zpb/proto/internal";
import type { Peer, Received, RoutedDealer, RoutedIncoming, RoutedMessage } from "@zpb/transport";
import { BatchReplies } from "./batch-replies.js";
import { ErrorReplies } from "./error-replies.js";
import type { HandlerContext, LoadedHandler } from "./handler.js";
import type { DurationRecorder } from "./durations.js";
import type { OutgoingReply } from "./outbox.js";
import { ReplySender } from "./reply-sender.js";
import { Counter } from "./stats.js";

/** What handle() returns when it wrote the reply into the batch writer it was given (compared by identity). */
const WRITTEN = new Uint8Array(0);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/** A request whose async handler has not settled yet; `batch` and `index` place it in a batch's reply. */
interface Awaiting<T> {
  readonly peer: Peer;
  readonly request: T;
  readonly batch: BatchReplies | undefined;
  readonly index: number;
}

/**
 * One worker's serving loop for one service: receive from the backend DEALER, decode (done by the
 * socket's codec), run the handler, encode, reply — every request gets exactly one reply, an error reply
 * when anything fails (ErrorReplies). Sync handlers take a fast path: one awaited send per message and no
 * extra promise. Async handlers run concurrently (up to `concurrency` per loop); their replies go out in
 * completion order through the ReplySender's queue. A batch (docs/wire.md, "Batches") is answered by one
 * batch in request order, once each of its requests has its reply.
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
  /** Requests whose async handler has not settled yet, each its own key (for abandon()). */
  private readonly awaiting = new Set<Awaiting<T>>();
  /** The batch serveBatch() is still handing to the handler: it sends that one itself once complete. */
  private batchInProgress: BatchReplies | undefined;
  private readonly writer = new BatchWriter();
  /** Where serveBatch() writes sync replies in place, request after request, until one goes async. */
  private readonly inPlace = new BatchWriter();

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
      const incoming = await this.dealer.receiveMany();
      if (incoming === undefined) return;
      if (incoming.batch) {
        await this.serveBatch(incoming);
        continue;
      }
      const received = incoming.items[0] as RoutedMessage<T>;
      received.peer = incoming.peer;
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

  /**
   * Answers a batch: each request in turn (sync handlers at once, async ones concurrently within the limit),
   * then one reply batch in request order. A batch refused whole (over the limits, or framing that does not
   * split) gets one single-frame error reply, keyed by its first request when that can be read.
   */
  private async serveBatch(incoming: RoutedIncoming<T>): Promise<void> {
    if (this.draining) this.lastReceivedAt = performance.now();
    if (incoming.refused !== undefined) {
      this.counters[Counter.requests]!++;
      await this.reply(incoming.peer, this.refuseBatch(incoming), 0);
      return;
    }
    const items = incoming.items;
    this.counters[Counter.requests]! += items.length;
    const batch = new BatchReplies(incoming.peer, items.length);
    this.batchInProgress = batch;
    // The sync fast path: while every handler answers at once, each reply is encoded straight into the
    // reply frame (no buffer per reply); from the first async one on, replies are kept per index.
    const inPlace = this.inPlace;
    let written = 0;
    let frame: Buffer | undefined;
    try {
      for (let i = 0; i < items.length; i++) {
        const bytes = this.answerItem(items[i]!, batch, i, written === i ? inPlace : undefined);
        if (bytes === WRITTEN) written++;
        else if (bytes !== undefined) {
          if (written === i) {
            inPlace.add(bytes);
            written++;
          } else batch.fill(i, bytes);
        } else {
          if (written === i) batch.setHead(inPlace.finish(), written);
          if (this.asyncInFlight >= this.concurrency) await new Promise<void>((wake) => (this.wakeReceiver = wake));
        }
      }
      if (written === items.length) frame = inPlace.finish();
    } finally {
      this.batchInProgress = undefined;
      if (inPlace.count > 0) inPlace.reset();
    }
    if (frame !== undefined) {
      await this.reply(batch.peer, frame, written);
      return;
    }
    // Otherwise the last async reply sends it (settle()).
    if (batch.complete) await this.reply(batch.peer, batch.frame(this.writer), batch.size);
  }

  /** The single-frame error reply to a batch refused whole. */
  private refuseBatch(incoming: RoutedIncoming<T>): Uint8Array {
    const error = incoming.refused!;
    const body = incoming.frames.at(-1);
    const first = body === undefined ? undefined : firstBatchItem(body);
    let request: T | undefined;
    try {
      request = first === undefined ? undefined : this.handler.codec.decode(first);
    } catch {
      request = undefined; // the key is a courtesy; the refusal goes out without it
    }
    const tooBig = error.code === "TOO_LARGE" || error.code === "TOO_MANY_ITEMS";
    const code = tooBig ? ErrorCode.CODE_TOO_LARGE : ErrorCode.CODE_DECODE;
    return this.errors.build(code, `batch refused: ${error.message}`, request);
  }

  /** Sends now when nothing else is pending or queued, else queues behind what is (`items` > 0: a batch frame). */
  private reply(peer: Peer, bytes: Uint8Array, items: number): Promise<void> | undefined {
    if (this.asyncInFlight > 0 || !this.sender.idle) {
      this.sender.enqueue(peer, bytes, items);
      return undefined;
    }
    return items > 0 ? this.sender.sendBatch(peer, bytes, items) : this.sender.send(peer, bytes);
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
    // One answer per peer message: a batch still missing replies gets one single-frame error, which a zpb
    // client takes as the refusal of the whole batch (docs/wire.md, "Batches").
    const orphans: Array<[Peer, T]> = [];
    const batches = new Set<BatchReplies>();
    for (const waiting of this.awaiting) {
      if (waiting.batch !== undefined && batches.has(waiting.batch)) continue;
      if (waiting.batch !== undefined) batches.add(waiting.batch);
      orphans.push([waiting.peer, waiting.request]);
    }
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
    return this.handle(received.message, received.peer, undefined, 0);
  }

  /** Like answer(), for request `index` of `batch`: its reply now, or undefined when an async handler fills it in later. */
  private answerItem(
    item: Received<T>,
    batch: BatchReplies,
    index: number,
    into: BatchWriter | undefined,
  ): Uint8Array | undefined {
    if (!item.ok) return this.errors.forReceiveError(item.error);
    return this.handle(item.message, batch.peer, batch, index, into);
  }

  /**
   * Runs the handler for one request: its encoded reply now, or undefined when it is async (see settle()).
   * With `into`, a sync reply is encoded straight into that batch writer and WRITTEN is returned.
   */
  private handle(
    request: T,
    peer: Peer,
    batch: BatchReplies | undefined,
    index: number,
    into?: BatchWriter,
  ): Uint8Array | undefined {
    if (this.draining) return this.errors.build(ErrorCode.CODE_UNAVAILABLE, this.refusal, request);
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
      return into === undefined ? this.encode(result, request) : this.encodeInto(result, request, into);
    }
    this.await(result, { peer, request, batch, index }, durations, started);
    return undefined;
  }

  /** Waits for an async handler's result (counted against the concurrency limit) and settles its request. */
  private await(
    result: PromiseLike<T>,
    waiting: Awaiting<T>,
    durations: DurationRecorder | undefined,
    started: number,
  ): void {
    this.asyncInFlight++;
    this.awaiting.add(waiting);
    result.then(
      (reply) => {
        durations?.observe(performance.now() - started);
        this.settle(waiting, this.encode(reply, waiting.request));
      },
      (error: unknown) => {
        durations?.observe(performance.now() - started);
        this.settle(waiting, this.errors.forFailure(error, waiting.request));
      },
    );
  }

  private settle(waiting: Awaiting<T>, bytes: Uint8Array): void {
    if (!this.awaiting.delete(waiting)) return; // abandoned: already answered
    this.asyncInFlight--;
    const batch = waiting.batch;
    if (batch === undefined) this.sender.enqueue(waiting.peer, bytes);
    else if (batch.fill(waiting.index, bytes) && this.batchInProgress !== batch) {
      this.sender.enqueue(batch.peer, batch.frame(this.writer), batch.size);
    }
    if (this.asyncInFlight < this.concurrency) this.wake();
  }

  private wake(): void {
    const wake = this.wakeReceiver;
    this.wakeReceiver = undefined;
    wake?.();
  }

  private encodeInto(reply: T, request: T, into: BatchWriter): Uint8Array {
    try {
      into.addMessage(this.handler.codec, reply);
      return WRITTEN;
    } catch (error) {
      return this.errors.forUnencodable(error, request);
    }
  }

  private encode(reply: T, request: T): Uint8Array {
    try {
      return this.handler.codec.encode(reply);
    } catch (error) {
      return this.errors.forUnencodable(error, request);
    }
  }
}
