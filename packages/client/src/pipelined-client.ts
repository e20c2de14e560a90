import {
  BATCH_LIMITS,
  BatchWriter,
  DecodeError,
  EncodeError,
  seqOf,
  splitBatch,
  type BatchLimits,
  type Codec,
  type Envelope,
} from "@zpb/proto";
import { Dealer, type CurveClientKeys, type OptionsFor, type Received, type SocketOptions } from "@zpb/transport";
import { codecOrDefault, decodeBatch } from "@zpb/transport/internal";
import { onAbort } from "./abort.js";
import { clientCurveOptions, CurveGuard } from "./curve.js";
import { AbortedError, BadReplyError, ClientError, ClosedError, TimeoutError } from "./errors.js";
import { CLIENT_DEFAULTS, stripUndefined, type CallOptions } from "./options.js";
import { envelopeRemoteError, type RemoteErrorOf } from "./remote.js";
import { Slots } from "./slots.js";

/** What pairs a reply with its request: equal keys match. undefined means "cannot be matched". */
export type RequestKey = string | number | bigint;

export interface PipelinedClientOptions<T = Envelope> {
  /** The ROUTER endpoint to connect to. Default: DEFAULT_ENDPOINTS.router (tcp://127.0.0.1:7000). */
  endpoint?: string;
  /** How requests are encoded and replies decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Requests in flight at once; callers beyond it wait for a slot. Default 100. */
  window?: number;
  /** Per-request reply timeout in ms, counted from when the request gets a window slot. Default 1000. */
  timeoutMs?: number;
  /** The key a request or reply is matched by. Default: the Envelope's seq (`seqOf`); required when T is not Envelope. */
  keyOf?: (message: T) => RequestKey | undefined;
  /** Maps a reply to the error it reports (default: Envelope ErrorReply → RemoteError); null turns it off. */
  remoteError?: RemoteErrorOf<T> | null;
  /**
   * Send an empty delimiter frame first, as REQ does (for servers that expect it). Default false, like the Rust prost +
   * zmq example's DEALER.
   */
  delimiter?: boolean;
  /**
   * Most requests packed into one batch (docs/wire.md, "Batches"): requests queued while the previous send
   * was under way, or in the same event-loop turn, go out as one ZeroMQ message. Default 1: every request is
   * its own frame. Raise it only against a peer that speaks the batch wire (the zpb server does; the Rust
   * prost + zmq example, pyzmq and libzmq programs do not). A lone request is always sent as a single frame.
   */
  maxBatch?: number;
  /**
   * With maxBatch > 1: how long (µs) the first queued request may wait for more to join its batch. Default 0:
   * no timer, so a single request's latency does not change.
   */
  lingerMicros?: number;
  /** libzmq options for the DEALER socket (linger defaults to 0). */
  socket?: SocketOptions;
  /**
   * Encrypt with CURVE and authenticate to the server (keys as Z85 text, or certificate files). When the
   * server refuses the key, requests in flight and new ones fail with HandshakeError "REFUSED" until a
   * reconnect (every `CLIENT_DEFAULTS.refusedRetryMs`) is accepted.
   */
  curve?: CurveClientKeys;
}

/** Counters kept by a PipelinedClient. */
export interface PipelinedClientStats {
  /** Requests handed to the socket. */
  sent: number;
  /** Batches handed to the socket (each carried 2 or more of the requests in `sent`). */
  batches: number;
  /** Replies that settled their request (answers and ErrorReplies). */
  replies: number;
  /** Requests that got no reply within their timeout. */
  timeouts: number;
  /** Decoded replies that matched no request in flight (late, duplicate, or foreign). */
  unmatched: number;
  /** Replies that could not be decoded or had bad frames (they cannot be matched either). */
  badReplies: number;
}

/**
 * What requestMany() resolves with: one entry per request, in request order — the reply, or the error that
 * item got (a RemoteError for an ErrorReply, a BadReplyError for an item that did not decode or match).
 */
export type ManyReplies<T> = Array<T | Error>;

/** A requestMany() call while in flight: its batch frame until sent, then the keys its replies must carry. */
interface ManyRequest<T> {
  frame: Buffer | undefined;
  keys: RequestKey[];
  resolve: (replies: ManyReplies<T>) => void;
}

interface InFlight<T> {
  /** The request's key; for a requestMany() batch, its first request's key. */
  key: RequestKey;
  message: T;
  resolve: (reply: T) => void;
  reject: (error: unknown) => void;
  /** performance.now() ms when a request on the default timeout expires (see the deadline queue). */
  deadline: number;
  /** Only for a request with its own timeoutMs; the default timeout shares one timer. */
  timer: NodeJS.Timeout | undefined;
  /** Drops the abort listener, when the call had a signal. */
  disposeAbort: (() => void) | undefined;
  /** The requests it was sent with in one batch (itself included), while in flight. */
  batch: InFlight<T>[] | undefined;
  /** Set once the request is settled, so a still-queued send is skipped. */
  done: boolean;
  /** Set for a requestMany() batch: the entry stands for all of its requests. */
  many: ManyRequest<T> | undefined;
}

/** Drop settled entries from the front of a queue once this many have piled up there. */
const COMPACT_AFTER = 1024;

/**
 * A DEALER client with many requests in flight: `await client.request(msg)` from any number of callers.
 * Up to `window` requests are outstanding; replies are matched to requests by key (the Envelope's seq by
 * default) in any order, each request has its own timeout, and a reply matching nothing is counted in
 * `stats.unmatched`. With `maxBatch` > 1, requests queued together travel as one batch and batched replies
 * are unpacked, transparently. One send loop and one receive loop own the socket (zeromq allows one of each
 * pending).
 */
export class PipelinedClient<T = Envelope> {
  /** Live counters. */
  readonly stats: PipelinedClientStats = {
    sent: 0,
    batches: 0,
    replies: 0,
    timeouts: 0,
    unmatched: 0,
    badReplies: 0,
  };
  readonly endpoint: string;
  private readonly dealer: Dealer<T>;
  private readonly codec: Codec<T>;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly keyOf: (message: T) => RequestKey | undefined;
  private readonly remoteError: RemoteErrorOf<T> | null;
  private readonly inFlight = new Map<RequestKey, InFlight<T>>();
  /** requestMany() batches in flight, by their first request's key. */
  private readonly manyInFlight = new Map<RequestKey, InFlight<T>>();
  /** Requests waiting to be sent, from sendHead on; queuedAt is when the oldest of them was queued. */
  private sendQueue: InFlight<T>[] = [];
  private sendHead = 0;
  private queuedAt = 0;
  private readonly writer = new BatchWriter();
  private readonly batchLimits: BatchLimits;
  private sending = false;
  /**
   * Requests on the default timeout, in the order their deadlines fall (same timeout, FIFO): one timer for
   * the oldest instead of a timer per request, which at a million requests a second is most of a core.
   */
  private deadlines: InFlight<T>[] = [];
  private deadlineHead = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly receiving: Promise<void>;
  private readonly guard: CurveGuard | undefined;

  constructor(...[options = {}]: OptionsFor<T, PipelinedClientOptions<T>, "keyOf">) {
    const o: PipelinedClientOptions<T> = stripUndefined(options);
    this.endpoint = o.endpoint ?? CLIENT_DEFAULTS.endpoints.router;
    this.slots = new Slots(o.window ?? CLIENT_DEFAULTS.window);
    this.timeoutMs = o.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    this.maxBatch = positiveInteger("maxBatch", o.maxBatch ?? CLIENT_DEFAULTS.maxBatch);
    const lingerMicros = o.lingerMicros ?? CLIENT_DEFAULTS.lingerMicros;
    if (!(lingerMicros >= 0)) throw new RangeError(`lingerMicros must be ≥ 0, got ${lingerMicros}`);
    this.lingerMs = lingerMicros / 1000;
    // OptionsFor lets keyOf be left out only when T is Envelope, where seqOf is the right key.
    this.keyOf = (o.keyOf ?? seqOf) as (message: T) => RequestKey | undefined;
    this.remoteError = o.remoteError === undefined ? envelopeRemoteError : o.remoteError;
    this.codec = codecOrDefault(o.codec);
    // Replies come back in batches no larger than the requests we sent.
    this.batchLimits = { maxItems: Math.max(this.maxBatch, BATCH_LIMITS.maxItems) };
    const curve = clientCurveOptions(o.curve);
    this.dealer = new Dealer<T>({
      linger: CLIENT_DEFAULTS.linger,
      ...o.socket,
      ...curve,
      codec: this.codec,
      delimiter: o.delimiter ?? false,
      batchLimits: this.batchLimits,
    });
    if (curve.curvePublicKey !== undefined) {
      this.guard = new CurveGuard(
        this.dealer,
        this.endpoint,
        curve.curvePublicKey,
        (error) => {
          this.failAll(error);
        },
        CLIENT_DEFAULTS.refusedRetryMs,
      );
    }
    this.dealer.connect(this.endpoint);
    this.receiving = this.receiveLoop();
  }

  /** Requests in flight right now (each request of a requestMany() batch counts). */
  get pending(): number {
    return this.slots.inUse;
  }

  /** Callers waiting for a window slot. */
  get waiting(): number {
    return this.slots.waiting;
  }

  /**
   * Sends `message` once a window slot is free and resolves with its matching reply. Rejects with
   * TimeoutError, RemoteError (ErrorReply), AbortedError, ClosedError, or ClientError "BAD_REQUEST"
   * when the message has no key or its key is already in flight.
   */
  request(message: T, options: CallOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError("pipelined client"));
    if (this.guard?.error) return Promise.reject(this.guard.error);
    const key = this.keyOf(message);
    if (key === undefined) {
      return Promise.reject(new ClientError("BAD_REQUEST", "request has no key to match its reply by"));
    }
    const { signal, timeoutMs } = options;
    // The common case takes no extra promise: a free slot and no signal.
    if (signal === undefined && this.slots.tryAcquire()) return this.start(key, message, timeoutMs, undefined);
    return this.slots.acquire(signal).then(() => this.start(key, message, timeoutMs, signal));
  }

  /**
   * Sends `messages` as one batch (docs/wire.md, "Batches") and resolves with their replies in request
   * order: one promise, one timeout and one ZeroMQ message for the whole batch, items encoded straight into
   * the batch frame and replies decoded straight from the reply's — the way to millions of requests a second.
   * An item's ErrorReply is that item's RemoteError in the result, not a rejection. Rejects as a whole with
   * TimeoutError (no reply within `timeoutMs`), AbortedError, ClosedError, EncodeError (an item that cannot
   * be encoded), RemoteError (the server refused the whole batch, e.g. over its `maxBatchItems`),
   * BadReplyError (the reply batch does not split or holds another number of items), or ClientError
   * "BAD_REQUEST" (a message without a key, the first key already in flight, or more messages than the
   * window or BATCH_LIMITS.maxItems). The batch takes one window slot per message, so it waits until that
   * many are free. Needs a peer that speaks the batch wire (the zpb server does), whatever `maxBatch` is.
   */
  requestMany(messages: readonly T[], options: CallOptions = {}): Promise<ManyReplies<T>> {
    if (this.closed) return Promise.reject(new ClosedError("pipelined client"));
    if (this.guard?.error) return Promise.reject(this.guard.error);
    const count = messages.length;
    if (count === 0) return Promise.resolve([]);
    const limit = Math.min(this.slots.capacity, BATCH_LIMITS.maxItems);
    if (count > limit) {
      const bound = limit === this.slots.capacity ? "the window" : "BATCH_LIMITS.maxItems";
      return Promise.reject(new ClientError("BAD_REQUEST", `${count} requests exceed ${bound} (${limit})`));
    }
    const keys = new Array<RequestKey>(count);
    const writer = this.writer;
    try {
      for (let i = 0; i < count; i++) {
        const message = messages[i]!;
        const key = this.keyOf(message);
        if (key === undefined) throw new ClientError("BAD_REQUEST", `request ${i} has no key to match its reply by`);
        keys[i] = key;
        writer.addMessage(this.codec, message);
      }
    } catch (error) {
      writer.reset();
      return Promise.reject(error);
    }
    const many: ManyRequest<T> = { frame: writer.finish(), keys, resolve: () => {} };
    const { signal, timeoutMs } = options;
    if (signal === undefined && this.slots.tryAcquire(count))
      return this.startMany(many, messages[0]!, timeoutMs, undefined);
    return this.slots.acquire(signal, count).then(() => this.startMany(many, messages[0]!, timeoutMs, signal));
  }

  /** Closes the socket and rejects every pending and waiting request with ClosedError; resolves when the loops end. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const error = new ClosedError("pipelined client");
      this.slots.rejectWaiters(error);
      this.failAll(error);
      this.sendQueue = [];
      this.sendHead = 0;
      this.guard?.close();
      this.dealer.close();
    }
    await this.receiving;
  }

  private failAll(error: unknown): void {
    for (const entry of [...this.inFlight.values(), ...this.manyInFlight.values()]) this.fail(entry, error);
  }

  // A requestMany() batch that holds its window slots: registered by its first key, timed once, queued.
  private startMany(
    many: ManyRequest<T>,
    first: T,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ManyReplies<T>> {
    const key = many.keys[0]!;
    const refusal = this.refusal(key, signal, this.manyInFlight.has(key));
    if (refusal !== undefined) {
      this.slots.release(many.keys.length);
      return Promise.reject(refusal);
    }
    return new Promise<ManyReplies<T>>((resolve, reject) => {
      many.resolve = resolve;
      const entry = newEntry<T>(key, first, noop, reject, many);
      this.manyInFlight.set(key, entry);
      this.register(entry, timeoutMs, signal);
    });
  }

  // Why a request (or a batch, by its first key) that got its window slots cannot start, if it cannot.
  private refusal(key: RequestKey, signal: AbortSignal | undefined, keyTaken = false): Error | undefined {
    if (this.closed) return new ClosedError("pipelined client");
    if (keyTaken || this.inFlight.has(key)) {
      return new ClientError("BAD_REQUEST", `a request with key ${String(key)} is already in flight`);
    }
    return signal?.aborted ? new AbortedError(signal.reason) : undefined;
  }

  // A request that holds a window slot: registered, timed, and queued for the send loop.
  private start(
    key: RequestKey,
    message: T,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const refusal = this.refusal(key, signal);
    if (refusal !== undefined) {
      this.slots.release();
      return Promise.reject(refusal);
    }
    return new Promise<T>((resolve, reject) => {
      const entry = newEntry(key, message, resolve, reject, undefined);
      this.inFlight.set(key, entry);
      this.register(entry, timeoutMs, signal);
    });
  }

  // Times an entry, ties it to its signal and queues it for the send loop.
  private register(entry: InFlight<T>, timeoutMs: number | undefined, signal: AbortSignal | undefined): void {
    this.startTimeout(entry, timeoutMs ?? this.timeoutMs);
    if (signal !== undefined) {
      entry.disposeAbort = onAbort(signal, () => this.fail(entry, new AbortedError(signal.reason)));
    }
    if (this.sendHead === this.sendQueue.length) this.queuedAt = performance.now();
    this.sendQueue.push(entry);
    if (!this.sending) {
      this.sending = true;
      // A microtask, not a timer: every request queued in this turn of the event loop is in the queue by
      // the time the loop runs, and a lone request goes out with no added delay.
      queueMicrotask(() => void this.sendLoop());
    }
  }

  private startTimeout(entry: InFlight<T>, timeoutMs: number): void {
    if (timeoutMs !== this.timeoutMs) {
      entry.timer = setTimeout(() => this.expire(entry, timeoutMs), timeoutMs);
      return;
    }
    entry.deadline = performance.now() + timeoutMs;
    this.deadlines.push(entry);
    this.deadlineTimer ??= setTimeout(this.onDeadline, timeoutMs);
  }

  // Times out every default-timeout request whose deadline passed, then waits for the next one.
  private readonly onDeadline = (): void => {
    this.deadlineTimer = undefined;
    const now = performance.now();
    for (;;) {
      this.compactDeadlines();
      const head = this.deadlines[this.deadlineHead];
      if (head === undefined) return;
      if (head.deadline > now) {
        this.deadlineTimer = setTimeout(this.onDeadline, Math.ceil(head.deadline - now));
        return;
      }
      this.expire(head, this.timeoutMs);
    }
  };

  private expire(entry: InFlight<T>, timeoutMs: number): void {
    if (entry.done) return;
    this.stats.timeouts++;
    const what = entry.many === undefined ? `request ${String(entry.key)}` : `batch ${String(entry.key)}`;
    const hint = this.guard?.timeoutHint() ?? "";
    this.fail(entry, new TimeoutError(`no reply to ${what} within ${timeoutMs} ms${hint}`, 1, timeoutMs));
  }

  // Settled entries at the front of the deadline queue are dropped now; an empty queue stops the timer, so an
  // idle client keeps no timer (and no process) alive.
  private compactDeadlines(): void {
    const queue = this.deadlines;
    while (this.deadlineHead < queue.length && queue[this.deadlineHead]!.done) this.deadlineHead++;
    if (this.deadlineHead === queue.length) {
      this.deadlines = [];
      this.deadlineHead = 0;
      if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    } else if (this.deadlineHead >= COMPACT_AFTER && this.deadlineHead * 2 >= queue.length) {
      this.deadlines = queue.slice(this.deadlineHead);
      this.deadlineHead = 0;
    }
  }

  // Frees a request's key, window slot and timer exactly once; false if it was already settled.
  private release(entry: InFlight<T>): boolean {
    if (entry.done) return false;
    entry.done = true;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.disposeAbort?.();
    entry.batch = undefined;
    if (entry.many === undefined) {
      if (this.inFlight.get(entry.key) === entry) this.inFlight.delete(entry.key);
      this.slots.release();
    } else {
      entry.many.frame = undefined;
      if (this.manyInFlight.get(entry.key) === entry) this.manyInFlight.delete(entry.key);
      this.slots.release(entry.many.keys.length);
    }
    if (this.deadlines[this.deadlineHead] === entry) this.compactDeadlines();
    return true;
  }

  private fail(entry: InFlight<T>, error: unknown): void {
    if (this.release(entry)) entry.reject(error);
  }

  // The single send loop: takes what is queued (up to maxBatch a message) and awaits each send, since
  // zeromq allows one pending send per socket. Requests queued meanwhile make up the next batch.
  private async sendLoop(): Promise<void> {
    try {
      for (;;) {
        if (this.lingerMs > 0) await this.linger();
        const batch = this.takeBatch();
        if (batch.length === 0) return;
        try {
          const many = batch[0]!.many;
          if (many !== undefined) {
            const frame = many.frame!;
            many.frame = undefined;
            await this.dealer.sendBatchBytes(frame, many.keys.length);
            this.stats.batches++;
            this.stats.sent += many.keys.length;
            continue;
          }
          if (batch.length === 1) await this.dealer.send(batch[0]!.message);
          else await this.sendBatch(batch);
          this.stats.sent += batch.length;
        } catch (error) {
          for (const entry of batch) this.fail(entry, this.closed ? new ClosedError("pipelined client") : error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  // Up to maxBatch queued requests that are still waiting (one that timed out or was aborted is not sent late);
  // a requestMany() batch travels alone, as it was built.
  private takeBatch(): InFlight<T>[] {
    const batch: InFlight<T>[] = [];
    const queue = this.sendQueue;
    while (this.sendHead < queue.length && batch.length < this.maxBatch) {
      const entry = queue[this.sendHead]!;
      if (entry.many !== undefined && batch.length > 0) break;
      this.sendHead++;
      if (entry.done) continue;
      batch.push(entry);
      if (entry.many !== undefined) break;
    }
    if (this.sendHead === queue.length) {
      this.sendQueue = [];
      this.sendHead = 0;
    } else if (this.sendHead >= COMPACT_AFTER) {
      this.sendQueue = queue.slice(this.sendHead);
      this.sendHead = 0;
    }
    return batch;
  }

  // Encodes each request on its own, so one that cannot be encoded fails alone, then sends one batch.
  private async sendBatch(batch: InFlight<T>[]): Promise<void> {
    const writer = this.writer;
    const members: InFlight<T>[] = [];
    for (const entry of batch) {
      try {
        writer.addMessage(this.codec, entry.message);
        members.push(entry);
      } catch (error) {
        if (!(error instanceof EncodeError)) throw error;
        this.fail(entry, error);
      }
    }
    if (members.length === 0) return;
    for (const entry of members) entry.batch = members;
    batch.length = 0;
    batch.push(...members);
    if (members.length === 1) {
      writer.reset();
      members[0]!.batch = undefined;
      await this.dealer.send(members[0]!.message);
      return;
    }
    this.stats.batches++;
    await this.dealer.sendBatchBytes(writer.finish(), members.length);
  }

  // lingerMicros: give later requests a chance to join, without holding the event loop (I/O runs meanwhile).
  private async linger(): Promise<void> {
    while (
      this.sendQueue.length - this.sendHead < this.maxBatch &&
      performance.now() - this.queuedAt < this.lingerMs &&
      !this.closed
    ) {
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  // The single receive loop: runs until the socket closes; bad or unmatched replies are counted, never thrown.
  private async receiveLoop(): Promise<void> {
    try {
      for (let incoming = await this.dealer.receiveUnsplit(); incoming !== undefined; ) {
        if (incoming.batch === undefined) this.settle(incoming.received, false);
        else this.settleBatch(incoming.batch);
        incoming = await this.dealer.receiveUnsplit();
      }
    } catch (error) {
      // The socket failed under us: nothing more will be received, so fail what is waiting.
      this.failAll(error);
    }
  }

  // A batch reply: the answer to a requestMany() batch when its first item's key is one (decoded straight into
  // the result), else replies to requests the send loop coalesced, each settled on its own.
  private settleBatch(frame: Buffer): void {
    if (this.manyInFlight.size > 0 && this.settleMany(frame)) return;
    const incoming = decodeBatch(this.codec, frame, [frame], this.dealer.counters, this.batchLimits);
    if (incoming.refused !== undefined) this.stats.badReplies++;
    for (const received of incoming.items) this.settle(received, true);
  }

  // False when the batch answers no requestMany() batch in flight.
  private settleMany(frame: Buffer): boolean {
    let parts: Buffer[];
    try {
      parts = splitBatch(frame, this.batchLimits);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return false;
    }
    const codec = this.codec;
    let first: T;
    try {
      first = codec.decode(parts[0]!);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return false;
    }
    const key = this.keyOf(first);
    const entry = key === undefined ? undefined : this.manyInFlight.get(key);
    if (entry === undefined) return false;
    const many = entry.many!;
    const count = parts.length;
    this.dealer.counters.received += count;
    if (count !== many.keys.length) {
      this.stats.badReplies += count;
      const error = new DecodeError("MALFORMED", `${count} replies to a batch of ${many.keys.length} requests`);
      this.fail(entry, new BadReplyError(error));
      return true;
    }
    const replies: ManyReplies<T> = new Array<T | Error>(count);
    const keys = many.keys;
    const remoteError = this.remoteError;
    for (let i = 0; i < count; i++) {
      let reply: T;
      if (i === 0) reply = first;
      else {
        try {
          reply = codec.decode(parts[i]!);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          this.dealer.counters.decodeErrors++;
          this.stats.badReplies++;
          replies[i] = new BadReplyError(error);
          continue;
        }
        if (this.keyOf(reply) !== keys[i]) {
          this.stats.unmatched++;
          const error = new DecodeError(
            "MALFORMED",
            `reply ${i} of the batch does not match request ${String(keys[i])}`,
          );
          replies[i] = new BadReplyError(error);
          continue;
        }
      }
      this.stats.replies++;
      replies[i] = remoteError?.(reply) ?? reply;
    }
    if (this.release(entry)) many.resolve(replies);
    return true;
  }

  private settle(received: Received<T>, inBatch: boolean): void {
    if (!received.ok) {
      this.stats.badReplies++;
      return;
    }
    const key = this.keyOf(received.message);
    if (!inBatch && key !== undefined && this.manyInFlight.size > 0) {
      // A single-frame reply keyed by a requestMany() batch's first request: the server refused the whole batch.
      const many = this.manyInFlight.get(key);
      if (many !== undefined) {
        this.stats.replies++;
        const remote = this.remoteError?.(received.message);
        const error = new DecodeError("MALFORMED", "a single reply to a batch that is not an error reply");
        this.fail(many, remote ?? new BadReplyError(error));
        return;
      }
    }
    const entry = key === undefined ? undefined : this.inFlight.get(key);
    if (entry === undefined) {
      this.stats.unmatched++;
      return;
    }
    this.stats.replies++;
    const remote = this.remoteError?.(received.message);
    if (remote === undefined) {
      if (this.release(entry)) entry.resolve(received.message);
      return;
    }
    // A server refuses a whole batch (over its limits) with one single-frame error reply keyed by the batch's
    // first request (docs/wire.md, "Batches"): it answers every request of that batch.
    const mates = !inBatch && entry.batch !== undefined ? entry.batch : undefined;
    this.fail(entry, remote);
    if (mates !== undefined) for (const mate of mates) this.fail(mate, remote);
  }
}

function noop(): void {}

function newEntry<T>(
  key: RequestKey,
  message: T,
  resolve: (reply: T) => void,
  reject: (error: unknown) => void,
  many: ManyRequest<T> | undefined,
): InFlight<T> {
  return {
    key,
    message,
    resolve,
    reject,
    deadline: 0,
    timer: undefined,
    disposeAbort: undefined,
    batch: undefined,
    done: false,
    many,
  };
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
