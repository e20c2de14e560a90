import { BatchWriter, ErrorCode } from "@zpb/proto";
import { firstBatchItem } from "@zpb/proto/internal";
import type { Peer, Received, RoutedDealer, RoutedIncoming, RoutedMessage } from "@zpb/transport";
import { BatchReplies } from "./batch-replies.js";
import type { DurationRecorder } from "./durations.js";
import { ErrorReplies } from "./error-replies.js";
import type { LoadedHandler } from "./handler.js";
import { InFlight, type InFlightCall } from "./in-flight.js";
import type { LivenessCells } from "./liveness.js";
import type { OutgoingReply } from "./outbox.js";
import type { CallRecord, OrphanedCall } from "./call-record.js";
import type { FrameGarbage } from "./frame-garbage.js";
import { ReplySender } from "./reply-sender.js";
import { RequestContext, type ServiceIdentity } from "./request-context.js";
import { Counter } from "./stats.js";

/** What bounds one serving loop (see SERVER_SETTINGS: concurrency, handlerTimeout, maxInFlightBytes). */
export interface LoopLimits {
  /** Async handler calls in flight before the loop stops receiving. */
  concurrency: number;
  /** ms after which an async handler call is answered with CODE_DEADLINE and its signal aborts; 0 = never. */
  handlerTimeout: number;
  /** Request bytes held by running async calls before the loop stops receiving. */
  maxInFlightBytes: number;
}

/** What the loop reports to shared memory and to its thread as it serves; each is optional (tests leave them out). */
export interface LoopObservers {
  /** Where handler durations go (read by the metrics endpoint). */
  durations?: DurationRecorder;
  /** Liveness stamps for the watchdog. */
  liveness?: LivenessCells;
  /** Told of every message's frame count, so a flood's garbage is collected at once (frame-garbage.ts). */
  garbage?: FrameGarbage;
  /** Who waits on the call running now, should the thread die inside it (call-record.ts). */
  calls?: CallRecord;
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

/** What handle() returns when it wrote the reply into the batch writer it was given (compared by identity). */
const WRITTEN = new Uint8Array(0);

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}

/**
 * One worker's serving loop for one service: receive from the backend DEALER, decode (done by the
 * socket's codec), run the handler, encode, reply — every request gets exactly one reply, an error reply
 * when anything fails (ErrorReplies). Sync handlers take a fast path: one awaited send per message and no
 * extra promise. Async handlers run concurrently (up to `concurrency` per loop, and while they hold at most
 * `maxInFlightBytes` of requests); their replies go out in completion order through the ReplySender's
 * queue; one past `handlerTimeout` is answered with CODE_DEADLINE and its signal aborts. A batch
 * (docs/wire.md, "Batches") is answered by one batch in request order, once each of its requests has its
 * reply (a CODE_DEADLINE one included).
 */
export class ServiceLoop<T> {
  private draining = false;
  private refusal = "";
  private readonly inFlight = new InFlight<T>();
  private wakeReceiver: (() => void) | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private lastReceivedAt = 0;
  private readonly sender: ReplySender<T>;
  private readonly errors: ErrorReplies<T>;
  /** The request a sync handler is running for right now, and its peer (for abandon() and stall reports). */
  private current: T | undefined;
  private currentPeer: Peer | undefined;
  /** The batch serveBatch() is still handing to the handler: it sends that one itself once complete. */
  private batchInProgress: BatchReplies | undefined;
  private readonly writer = new BatchWriter();
  /** Where serveBatch() writes sync replies in place, request after request, until one goes async. */
  private readonly inPlace = new BatchWriter();
  /** A context no call holds (its sync call did not take its signal): the next call's. */
  private spareContext: RequestContext | undefined;
  private readonly durations: DurationRecorder | undefined;
  private readonly liveness: LivenessCells | undefined;
  private readonly garbage: FrameGarbage | undefined;
  private readonly calls: CallRecord | undefined;

  constructor(
    private readonly dealer: RoutedDealer<T>,
    private readonly handler: LoadedHandler<T>,
    private readonly counters: Float64Array,
    private readonly identity: ServiceIdentity,
    private readonly limits: LoopLimits,
    { durations, liveness, garbage, calls }: LoopObservers = {},
  ) {
    this.sender = new ReplySender(dealer, counters);
    this.errors = new ErrorReplies(handler, counters);
    this.durations = durations;
    this.liveness = liveness;
    this.garbage = garbage;
    this.calls = calls;
  }

  /** Serves until the socket is closed. Never throws for bad input or a failing handler. */
  async run(): Promise<void> {
    const liveness = this.liveness;
    for (;;) {
      // A receive pending means ending this thread from outside would abort the process (thread-interrupt.ts).
      if (liveness !== undefined) liveness.receivePending = true;
      const incoming = await this.dealer.receiveMany();
      if (liveness !== undefined) liveness.receivePending = false;
      if (incoming === undefined) return;
      this.garbage?.received(incoming.frames.length);
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
        if (this.full) await new Promise<void>((wake) => (this.wakeReceiver = wake));
      } else if (this.inFlight.size === 0 && this.sender.idle) {
        await this.sender.send(received.peer, bytes);
      } else {
        this.sender.enqueue(received.peer, bytes);
      }
    }
  }

  /**
   * Answers a batch: each request in turn (sync handlers at once, async ones concurrently within the limits),
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
    // Each request of the batch holds its share of the batch frame against --max-in-flight-bytes.
    const body = incoming.frames.at(-1);
    const itemBytes = body === undefined ? 0 : Math.ceil(body.length / items.length);
    this.batchInProgress = batch;
    // The sync fast path: while every handler answers at once, each reply is encoded straight into the
    // reply frame (no buffer per reply); from the first async one on, replies are kept per index.
    const inPlace = this.inPlace;
    let written = 0;
    let frame: Buffer | undefined;
    this.calls?.enter(batch.peer, undefined, true);
    try {
      for (let i = 0; i < items.length; i++) {
        const bytes = this.answerItem(items[i]!, batch, i, itemBytes, written === i ? inPlace : undefined);
        if (bytes === WRITTEN) written++;
        else if (bytes !== undefined) {
          if (written === i) {
            inPlace.add(bytes);
            written++;
          } else batch.fill(i, bytes);
        } else {
          if (written === i) batch.setHead(inPlace.finish(), written);
          if (this.full) await new Promise<void>((wake) => (this.wakeReceiver = wake));
        }
      }
      if (written === items.length) frame = inPlace.finish();
    } finally {
      this.calls?.leave();
      this.batchInProgress = undefined;
      if (inPlace.count > 0) inPlace.reset();
    }
    if (frame !== undefined) {
      await this.reply(batch.peer, frame, written);
      return;
    }
    // Otherwise the last async reply (or deadline) sends it (deliver()).
    if (batch.complete) await this.reply(batch.peer, batch.frame(this.writer), batch.size);
  }

  /** The single-frame error reply to a batch refused whole. */
  private refuseBatch(incoming: RoutedIncoming<T>): Uint8Array {
    const error = incoming.refused!;
    const body = incoming.frames.at(-1);
    const request = this.keyOf(body === undefined ? undefined : firstBatchItem(body));
    const tooBig = error.code === "TOO_LARGE" || error.code === "TOO_MANY_ITEMS";
    const code = tooBig ? ErrorCode.CODE_TOO_LARGE : ErrorCode.CODE_DECODE;
    return this.errors.build(code, `batch refused: ${error.message}`, request);
  }

  /** Sends now when nothing else is pending or queued, else queues behind what is (`items` > 0: a batch frame). */
  private reply(peer: Peer, bytes: Uint8Array, items: number): Promise<void> | undefined {
    if (this.inFlight.size > 0 || !this.sender.idle) {
      this.sender.enqueue(peer, bytes, items);
      return undefined;
    }
    return items > 0 ? this.sender.sendBatch(peer, bytes, items) : this.sender.send(peer, bytes);
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

  /** What the loop is running right now, for a stall report: the sync handler's request, else the async ones. */
  describeRunning(): string {
    const service = this.identity.service;
    if (this.currentPeer !== undefined) return `${service}: ${describeRequest(this.current)} (in the handler call)`;
    const oldest = this.inFlight.oldest();
    if (oldest === undefined) return `${service}: no request (outside any handler call)`;
    return `${service}: ${this.inFlight.size} async call(s), the oldest ${describeRequest(oldest.request)}`;
  }

  /** True when no handler is running and no reply is waiting to be sent. */
  get settled(): boolean {
    return this.inFlight.size === 0 && this.sender.idle;
  }

  /** Whether the loop must stop receiving until some async call finishes. */
  private get full(): boolean {
    return this.inFlight.size >= this.limits.concurrency || this.inFlight.bytes > this.limits.maxInFlightBytes;
  }

  /** When the last request arrived after drain() (performance.now() ms). */
  get lastRequestAt(): number {
    return this.lastReceivedAt;
  }

  /**
   * Answers a call its thread died inside, with no chance to answer it (call-record.ts): the replacement
   * sends the error its predecessor could not. A batch gets one single-frame error, which refuses it whole.
   */
  answerOrphan(orphan: OrphanedCall, reason: string): Promise<void> {
    const request = this.keyOf(orphan.batch ? undefined : orphan.payload);
    return this.sender.send(orphan.peer, this.errors.build(ErrorCode.CODE_HANDLER, reason, request));
  }

  /**
   * The request `payload` decodes to, for keying an error reply (its seq); undefined when there is none or it
   * does not decode: the key is a courtesy, and the error goes out without it.
   */
  private keyOf(payload: Uint8Array | undefined): T | undefined {
    if (payload === undefined) return undefined;
    try {
      return this.handler.codec.decode(payload);
    } catch {
      return undefined;
    }
  }

  /**
   * The thread is dying (see guard.ts): answer every request still being handled with `code` (CODE_HANDLER;
   * CODE_DEADLINE for a stuck thread) and hand every queued reply to zeromq now.
   */
  abandon(reason: string, code: ErrorCode = ErrorCode.CODE_HANDLER): void {
    // One answer per peer message: a batch still missing replies gets one single-frame error, which a zpb
    // client takes as the refusal of the whole batch (docs/wire.md, "Batches").
    const orphans: Array<[Peer, T]> = [];
    const batches = new Set<BatchReplies>();
    for (const call of this.inFlight.takeAll()) {
      call.context.abort(new Error(reason));
      if (call.batch !== undefined && batches.has(call.batch)) continue;
      if (call.batch !== undefined) batches.add(call.batch);
      orphans.push([call.peer, call.request]);
    }
    if (this.currentPeer !== undefined) orphans.push([this.currentPeer, this.current as T]);
    this.currentPeer = undefined;
    this.current = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.wake();
    const answers: OutgoingReply[] = orphans.map(([peer, request]) => ({
      peer,
      bytes: this.errors.build(code, reason, request),
    }));
    this.sender.sendAllNow(answers);
  }

  /** The encoded reply now, or undefined when an async handler will enqueue it later. */
  private answer(received: RoutedMessage<T>): Uint8Array | undefined {
    if (!received.ok) return this.errors.forReceiveError(received.error);
    const frames = received.frames;
    const payload = frames[frames.length - 1];
    this.calls?.enter(received.peer, payload, false);
    try {
      return this.handle(received.message, received.peer, undefined, 0, payload === undefined ? 0 : payload.length);
    } finally {
      this.calls?.leave();
    }
  }

  /** Like answer(), for request `index` of `batch`: its reply now, or undefined when an async handler fills it in later. */
  private answerItem(
    item: Received<T>,
    batch: BatchReplies,
    index: number,
    bytes: number,
    into: BatchWriter | undefined,
  ): Uint8Array | undefined {
    if (!item.ok) return this.errors.forReceiveError(item.error);
    return this.handle(item.message, batch.peer, batch, index, bytes, into);
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
    bytes: number,
    into?: BatchWriter,
  ): Uint8Array | undefined {
    if (this.draining) return this.errors.build(ErrorCode.CODE_UNAVAILABLE, this.refusal, request);
    let result: T | PromiseLike<T>;
    // The sync fast path allocates nothing per call: the last context comes back when its call answered at
    // once without taking its signal (HandlerContext promises one object per worker and service to handlers).
    const context = this.spareContext ?? new RequestContext(this.identity);
    this.spareContext = undefined;
    this.current = request;
    this.currentPeer = peer;
    const durations = this.durations?.sample() === true ? this.durations : undefined;
    const started = durations === undefined ? 0 : performance.now();
    try {
      result = this.handler.handle(request, context);
    } catch (error) {
      durations?.observe(performance.now() - started);
      if (!context.signalTaken) this.spareContext = context;
      return this.errors.forFailure(error, request);
    } finally {
      this.currentPeer = undefined;
      this.current = undefined;
    }
    if (!isThenable(result)) {
      durations?.observe(performance.now() - started);
      if (!context.signalTaken) this.spareContext = context;
      return into === undefined ? this.encode(result, request) : this.encodeInto(result, request, into);
    }
    const call: InFlightCall<T> = { peer, request, batch, index, bytes, startedAt: performance.now(), context };
    this.inFlight.add(call);
    this.armDeadline();
    result.then(
      (reply) => {
        durations?.observe(performance.now() - started);
        this.settle(call, this.encode(reply, request));
      },
      (error: unknown) => {
        durations?.observe(performance.now() - started);
        this.settle(call, this.errors.forFailure(error, request));
      },
    );
    return undefined;
  }

  private settle(call: InFlightCall<T>, bytes: Uint8Array): void {
    if (!this.inFlight.take(call)) return; // past its deadline or abandoned: already answered
    this.deliver(call, bytes);
    if (!this.full) this.wake();
  }

  /** Queues an async call's reply, or fills its batch slot and queues the batch once that was the last one missing. */
  private deliver(call: InFlightCall<T>, bytes: Uint8Array): void {
    const batch = call.batch;
    if (batch === undefined) this.sender.enqueue(call.peer, bytes);
    else if (batch.fill(call.index, bytes) && this.batchInProgress !== batch) {
      this.sender.enqueue(batch.peer, batch.frame(this.writer), batch.size);
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
      this.deliver(call, this.errors.build(ErrorCode.CODE_DEADLINE, reason, call.request));
    }
    if (!this.full) this.wake();
    this.armDeadline();
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
