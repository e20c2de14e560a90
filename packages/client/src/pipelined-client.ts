import { BATCH_LIMITS, BatchWriter, DecodeError, EncodeError, seqOf, type Codec, type Envelope } from "@zpb/proto";
import type { CurveClientKeys, Incoming, OptionsFor, Received, SocketOptions } from "@zpb/transport";
import { codecOrDefault } from "@zpb/transport/internal";
import { onAbort } from "./abort.js";
import { clientCurveOptions, CurveGuard } from "./curve.js";
import { AbortedError, BadReplyError, ClientError, ClosedError, TimeoutError } from "./errors.js";
import { CLIENT_DEFAULTS, endpointsOf, stripUndefined, type CallOptions, type RequestOptions } from "./options.js";
import { envelopeRemoteError, isUnavailable, type RemoteErrorOf } from "./remote.js";
import { DealerRoute, ServersRoute, type Route } from "./routes.js";
import { Slots } from "./slots.js";

/** What pairs a reply with its request: equal keys match. undefined means "cannot be matched". */
export type RequestKey = string | number | bigint;

export interface PipelinedClientOptions<T = Envelope> {
  /** The ROUTER endpoint to connect to. Default: DEFAULT_ENDPOINTS.router (tcp://127.0.0.1:7000). */
  endpoint?: string;
  /**
   * Several servers of one service, instead of `endpoint` (the zguide's Freelance pattern): requests go
   * round-robin to the servers that are connected; a server that is not connected gets none (nothing is
   * lost to it); one whose request timed out or was refused CODE_UNAVAILABLE sits out a back-off
   * (`CLIENT_DEFAULTS.failover`), and gets requests again afterwards or as soon as it answers. Its timed-out
   * requests are resent to another server when they may be retried (`retries`).
   */
  endpoints?: string[];
  /**
   * How often a request that timed out, or was answered CODE_UNAVAILABLE, is sent again (with a fresh
   * timeout); `request(msg, { retries })` overrides it per call. Default 0: a timed-out request may have run,
   * so only requests that are safe to run twice should be retried.
   */
  retries?: number;
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
  /** Attempts that got no reply within their timeout (each retried one counts once per attempt). */
  timeouts: number;
  /** Requests sent again after a timeout or a CODE_UNAVAILABLE reply. */
  retries: number;
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
  /**
   * Only for a request with its own timeoutMs, or one being retried; the default timeout's first attempt
   * shares one timer. A request with a timer of its own is skipped by the deadline queue.
   */
  timer: NodeJS.Timeout | undefined;
  /** The timeout of each attempt, in ms. */
  timeoutMs: number;
  /** The server the last attempt went to (a retry prefers another). */
  server: number | undefined;
  /** Sends left after this one. */
  retriesLeft: number;
  attempts: number;
  /** In the send queue right now (a retry does not queue it twice). */
  queued: boolean;
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
    retries: 0,
    unmatched: 0,
    badReplies: 0,
  };
  /** The first (or only) server. */
  readonly endpoint: string;
  /** Every server requests are spread over. */
  readonly endpoints: readonly string[];
  private readonly retries: number;
  private readonly route: Route<T>;
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
    this.endpoints = endpointsOf(o, CLIENT_DEFAULTS.endpoints.router);
    this.endpoint = this.endpoints[0]!;
    this.retries = o.retries ?? 0;
    if (!Number.isInteger(this.retries) || this.retries < 0)
      throw new RangeError(`retries must be a non-negative integer, got ${this.retries}`);
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
    const several = this.endpoints.length > 1;
    const { backOff, ...failoverSocket } = CLIENT_DEFAULTS.failover;
    const curve = clientCurveOptions(o.curve);
    const routeOptions = {
      codec: this.codec,
      delimiter: o.delimiter ?? false,
      socket: { linger: CLIENT_DEFAULTS.linger, ...(several ? failoverSocket : {}), ...o.socket, ...curve },
      backOff,
      // Replies come back in batches no larger than the requests we sent.
      batchLimits: { maxItems: Math.max(this.maxBatch, BATCH_LIMITS.maxItems) },
    };
    const route = several
      ? new ServersRoute<T>(this.endpoints, routeOptions)
      : new DealerRoute<T>(this.endpoint, routeOptions);
    this.route = route;
    // A refused CURVE key fails fast with one server; with several, a refusing server times out and sits out.
    if (curve.curvePublicKey !== undefined && route instanceof DealerRoute) {
      this.guard = new CurveGuard(
        route.dealer,
        this.endpoint,
        curve.curvePublicKey,
        (error) => this.failAll(error),
        CLIENT_DEFAULTS.refusedRetryMs,
      );
    }
    route.connect();
    this.receiving = this.receiveLoop();
  }

  /** Requests in flight right now. */
  get pending(): number {
    return this.slots.inUse;
  }

  /** Callers waiting for a window slot. */
  get waiting(): number {
    return this.slots.waiting;
  }

  /**
   * Sends `message` once a window slot is free and resolves with its matching reply. Rejects with
   * TimeoutError (after 1 + `retries` attempts), RemoteError (ErrorReply), AbortedError, ClosedError, or
   * ClientError "BAD_REQUEST" when the message has no key or its key is already in flight. The request keeps
   * its window slot across retries.
   */
  request(message: T, options: RequestOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(new ClosedError("pipelined client"));
    if (this.guard?.error) return Promise.reject(this.guard.error);
    const key = this.keyOf(message);
    if (key === undefined) {
      return Promise.reject(new ClientError("BAD_REQUEST", "request has no key to match its reply by"));
    }
    const { signal } = options;
    const retries = options.retries ?? this.retries;
    // The common case takes no extra promise: a free slot and no signal.
    if (signal === undefined && this.slots.tryAcquire()) return this.start(key, message, options, retries);
    return this.slots.acquire(signal).then(() => this.start(key, message, options, retries));
  }

  /**
   * Sends `messages` as one batch (docs/wire.md, "Batches") and resolves with their replies in request
   * order: one promise, one timeout and one ZeroMQ message for the whole batch, items encoded straight into
   * the batch frame — the way to millions of requests a second. An item's ErrorReply is that item's
   * RemoteError in the result, not a rejection. Rejects as a whole with TimeoutError (no reply within
   * `timeoutMs`; a batch is not retried), AbortedError, ClosedError, EncodeError (an item that cannot be
   * encoded), RemoteError (the server refused the whole batch, e.g. over its `maxBatchItems`), BadReplyError
   * (the reply batch holds another number of items), or ClientError "BAD_REQUEST" (a message without a key,
   * the first key already in flight, or more messages than the window or BATCH_LIMITS.maxItems). The batch
   * takes one window slot per message. Needs a peer that speaks the batch wire (the zpb server does).
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
    const many: ManyRequest<T> = { frame: writer.finish(), keys, resolve: noop };
    const first = messages[0]!;
    if (options.signal === undefined && this.slots.tryAcquire(count)) return this.startMany(many, first, options);
    return this.slots.acquire(options.signal, count).then(() => this.startMany(many, first, options));
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
      this.route.close();
    }
    await this.receiving;
  }

  private failAll(error: unknown): void {
    for (const entry of [...this.inFlight.values(), ...this.manyInFlight.values()]) this.fail(entry, error);
  }

  // Why a request (or a batch, by its first key) that got its window slots cannot start, if it cannot.
  private refusal(key: RequestKey, signal: AbortSignal | undefined, keyTaken = false): Error | undefined {
    if (this.closed) return new ClosedError("pipelined client");
    if (keyTaken || this.inFlight.has(key)) {
      return new ClientError("BAD_REQUEST", `a request with key ${String(key)} is already in flight`);
    }
    return signal?.aborted ? new AbortedError(signal.reason) : undefined;
  }

  // A requestMany() batch that holds its window slots: registered by its first key, timed once, queued.
  private startMany(many: ManyRequest<T>, first: T, options: CallOptions): Promise<ManyReplies<T>> {
    const key = many.keys[0]!;
    const refusal = this.refusal(key, options.signal, this.manyInFlight.has(key));
    if (refusal !== undefined) {
      this.slots.release(many.keys.length);
      return Promise.reject(refusal);
    }
    return new Promise<ManyReplies<T>>((resolve, reject) => {
      many.resolve = resolve;
      const entry = this.newEntry(key, first, noop, reject, options, 0, many);
      this.manyInFlight.set(key, entry);
      this.register(entry, options.signal);
    });
  }

  // A request that holds a window slot: registered, timed, and queued for the send loop.
  private start(key: RequestKey, message: T, options: RequestOptions, retries: number): Promise<T> {
    const refusal = this.refusal(key, options.signal);
    if (refusal !== undefined) {
      this.slots.release();
      return Promise.reject(refusal);
    }
    return new Promise<T>((resolve, reject) => {
      const entry = this.newEntry(key, message, resolve, reject, options, retries, undefined);
      this.inFlight.set(key, entry);
      this.register(entry, options.signal);
    });
  }

  private newEntry(
    key: RequestKey,
    message: T,
    resolve: (reply: T) => void,
    reject: (error: unknown) => void,
    options: CallOptions,
    retries: number,
    many: ManyRequest<T> | undefined,
  ): InFlight<T> {
    return {
      key,
      message,
      resolve,
      reject,
      deadline: 0,
      timer: undefined,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      server: undefined,
      retriesLeft: retries,
      attempts: 1,
      queued: false,
      disposeAbort: undefined,
      batch: undefined,
      done: false,
      many,
    };
  }

  // Times an entry, ties it to its signal and queues it for the send loop.
  private register(entry: InFlight<T>, signal: AbortSignal | undefined): void {
    this.startTimeout(entry);
    if (signal !== undefined) {
      entry.disposeAbort = onAbort(signal, () => this.fail(entry, new AbortedError(signal.reason)));
    }
    this.enqueue(entry);
  }

  // Queues a request for the send loop, and starts the loop when it is idle.
  private enqueue(entry: InFlight<T>): void {
    if (entry.queued) return;
    entry.queued = true;
    if (this.sendHead === this.sendQueue.length) this.queuedAt = performance.now();
    this.sendQueue.push(entry);
    if (!this.sending) {
      this.sending = true;
      // A microtask, not a timer: every request queued in this turn of the event loop is in the queue by
      // the time the loop runs, and a lone request goes out with no added delay.
      queueMicrotask(() => void this.sendLoop());
    }
  }

  // A first attempt on the default timeout joins the deadline queue; any other attempt gets a timer of its own
  // (retries are rare, and a retried request would break the queue's deadline order).
  private startTimeout(entry: InFlight<T>): void {
    if (entry.timeoutMs !== this.timeoutMs || entry.attempts > 1) {
      entry.timer = setTimeout(() => this.expire(entry), entry.timeoutMs);
      return;
    }
    entry.deadline = performance.now() + entry.timeoutMs;
    this.deadlines.push(entry);
    this.deadlineTimer ??= setTimeout(this.onDeadline, entry.timeoutMs);
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
      this.deadlineHead++;
      this.expire(head);
    }
  };

  // An attempt got no reply in time: retry it while it may, else fail it with TimeoutError.
  private expire(entry: InFlight<T>): void {
    if (entry.done) return;
    this.stats.timeouts++;
    if (this.retry(entry)) return;
    const { attempts, timeoutMs } = entry;
    const tries = attempts === 1 ? "" : ` (${attempts} attempts)`;
    const hint = this.guard?.timeoutHint() ?? "";
    const what = entry.many === undefined ? "request" : "batch";
    const message = `no reply to ${what} ${String(entry.key)} within ${timeoutMs} ms${tries}${hint}`;
    this.fail(entry, new TimeoutError(message, attempts, timeoutMs));
  }

  // Marks the server that failed it, then sends the request again with a fresh timeout if it has retries left
  // (to another server when there are several); false if not.
  private retry(entry: InFlight<T>): boolean {
    if (entry.server !== undefined) this.route.failed(entry.server);
    if (entry.done || this.closed || entry.retriesLeft === 0) return false;
    entry.retriesLeft--;
    entry.attempts++;
    this.stats.retries++;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    // It no longer belongs to the batch it went out with: a refusal of that batch is not about this attempt.
    entry.batch = undefined;
    this.startTimeout(entry);
    this.enqueue(entry);
    return true;
  }

  // Settled entries, and ones now on a timer of their own (retried), at the front of the deadline queue are
  // dropped now; an empty queue stops the timer, so an idle client keeps no timer (and no process) alive.
  private compactDeadlines(): void {
    const queue = this.deadlines;
    while (this.deadlineHead < queue.length && isOffDeadlines(queue[this.deadlineHead]!)) this.deadlineHead++;
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
            batch[0]!.server = await this.route.sendBatchBytes(frame, many.keys.length, undefined);
            this.stats.batches++;
            this.stats.sent += many.keys.length;
            continue;
          }
          if (batch.length === 1) batch[0]!.server = await this.route.send(batch[0]!.message, batch[0]!.server);
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

  // Up to maxBatch queued requests that are still waiting (one that timed out or was aborted is not sent late).
  private takeBatch(): InFlight<T>[] {
    const batch: InFlight<T>[] = [];
    const queue = this.sendQueue;
    while (this.sendHead < queue.length && batch.length < this.maxBatch) {
      const entry = queue[this.sendHead]!;
      // A requestMany() batch travels alone, as it was built.
      if (entry.many !== undefined && batch.length > 0) break;
      this.sendHead++;
      entry.queued = false;
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

  // Encodes each request on its own, so one that cannot be encoded fails alone, then sends one batch (to one
  // server: the route picks it, avoiding the one the first request last went to).
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
    batch.length = 0;
    batch.push(...members);
    if (members.length === 0) return;
    const first = members[0]!;
    if (members.length === 1) {
      writer.reset();
      first.server = await this.route.send(first.message, first.server);
      return;
    }
    for (const entry of members) entry.batch = members;
    this.stats.batches++;
    const server = await this.route.sendBatchBytes(writer.finish(), members.length, first.server);
    for (const entry of members) entry.server = server;
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
      for (let incoming = await this.route.receiveMany(); incoming !== undefined; ) {
        if (incoming.refused !== undefined) this.stats.badReplies++;
        else if (!(incoming.batch && this.manyInFlight.size > 0 && this.settleMany(incoming))) {
          for (const received of incoming.items) this.settle(received, incoming.batch);
        }
        incoming = await this.route.receiveMany();
      }
    } catch (error) {
      // The socket failed under us: nothing more will be received, so fail what is waiting.
      this.failAll(error);
    }
  }

  // A reply batch whose first item answers a requestMany() batch: its replies, in order, into one result.
  // False when it answers none (replies to requests the send loop coalesced, each settled on its own).
  private settleMany(incoming: Incoming<T>): boolean {
    const items = incoming.items;
    const head = items[0];
    if (head === undefined || !head.ok) return false;
    const key = this.keyOf(head.message);
    const entry = key === undefined ? undefined : this.manyInFlight.get(key);
    if (entry === undefined) return false;
    const many = entry.many!;
    const count = items.length;
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
      const item = items[i]!;
      if (!item.ok) {
        this.stats.badReplies++;
        replies[i] = new BadReplyError(item.error);
      } else if (i > 0 && this.keyOf(item.message) !== keys[i]) {
        this.stats.unmatched++;
        const error = new DecodeError("MALFORMED", `reply ${i} of the batch does not match request ${String(keys[i])}`);
        replies[i] = new BadReplyError(error);
      } else {
        this.stats.replies++;
        replies[i] = remoteError?.(item.message) ?? item.message;
      }
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
    const batch = !inBatch ? entry.batch : undefined;
    this.refuse(entry, remote);
    // A mate that was retried since went out again: this refusal is not about its new attempt.
    if (batch !== undefined) for (const mate of batch) if (mate.batch === batch) this.refuse(mate, remote);
  }

  // An ErrorReply settles the request, unless it says CODE_UNAVAILABLE and the request may be retried.
  private refuse(entry: InFlight<T>, remote: Error): void {
    if (!(isUnavailable(remote) && this.retry(entry))) this.fail(entry, remote);
  }
}

// A retried request has a timer of its own; the deadline queue only skips past it.
function isOffDeadlines<T>(entry: InFlight<T>): boolean {
  return entry.done || entry.timer !== undefined;
}

function noop(): void {}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
