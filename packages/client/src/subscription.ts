import { seqOf, type Codec, type Envelope } from "@zpb/proto";
import {
  Subscriber,
  type CurveClientKeys,
  type IncomingPublished,
  type OptionsFor,
  type SocketOptions,
  type Topic,
} from "@zpb/transport";
import { codecOrDefault } from "@zpb/transport/internal";
import { whenAborted } from "./abort.js";
import { clientCurveOptions, CurveGuard } from "./curve.js";
import { TimeoutError, type HandshakeError } from "./errors.js";
import { CLIENT_DEFAULTS, type CallOptions } from "./options.js";

export interface SubscriptionOptions<T = Envelope> {
  /** The PUB endpoint to connect to. Default: DEFAULT_ENDPOINTS.publish (tcp://127.0.0.1:6000). */
  endpoint?: string;
  /** Topic prefixes to receive ("" = everything). Default [""]. */
  topics?: Topic[];
  /** How payloads are decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /**
   * The sequence number gaps are detected on, per topic (default: the Envelope's seq); null turns it off.
   * Required (a function or null) when T is not Envelope.
   */
  seqOf?: ((message: T) => bigint | undefined) | null;
  /** Closes the subscription when it fires (iteration then ends). */
  signal?: AbortSignal;
  /** libzmq options for the SUB socket (linger defaults to 0; raise receiveHighWaterMark for bursts). */
  socket?: SocketOptions;
  /**
   * Subscribe over CURVE: the publisher's public key and this subscriber's key pair (Z85 text or certificate
   * files). If the publisher refuses the key, next() and iteration fail with HandshakeError "REFUSED".
   */
  curve?: CurveClientKeys;
}

/** One delivered message. */
export interface TopicMessage<T> {
  topic: string;
  message: T;
  /** Messages missing on this topic just before this one (a seq gap); 0 when none. */
  missed: number;
}

/** Counters kept by a Subscription. */
export interface SubscriptionStats {
  /** Messages delivered. */
  received: number;
  /** Messages skipped because they could not be decoded or had bad frames (a batch refused whole counts once). */
  undecodable: number;
  /** Seq gaps seen (each one a run of lost messages). */
  gaps: number;
  /** Messages lost in those gaps. */
  lost: number;
  /** Messages whose seq went backwards or repeated (a restarted publisher, or duplicates). */
  outOfOrder: number;
}

/**
 * A SUB client: an async iterator of `{topic, message, missed}` for the topic prefixes asked for.
 * Batches (docs/wire.md, "Batches") are unpacked into their messages, in order, transparently.
 * Undecodable messages are counted and skipped; seq gaps per topic are counted as lost messages, per message.
 * Counting starts at the first message seen on a topic (what came before joining is not a loss).
 */
export class Subscription<T = Envelope> implements AsyncIterable<TopicMessage<T>> {
  /** Live counters. */
  readonly stats: SubscriptionStats = { received: 0, undecodable: 0, gaps: 0, lost: 0, outOfOrder: 0 };
  readonly endpoint: string;
  private readonly subscriber: Subscriber<T>;
  private readonly seqOf: ((message: T) => bigint | undefined) | null;
  private readonly lastSeq = new Map<string, bigint>();
  // zeromq allows one pending receive: a next() that timed out leaves it here for the following call.
  private pendingReceive: Promise<IncomingPublished<T> | undefined> | undefined;
  /** What the last ZeroMQ message carried (one message or a batch), handed out from `index` on. */
  private current: IncomingPublished<T> | undefined;
  private index = 0;
  private readonly disposeSignal: () => void;
  private readonly guard: CurveGuard | undefined;
  /** Set when the publisher refused us: the socket was closed and next() throws this. */
  private refusal: HandshakeError | undefined;

  constructor(...[options = {}]: OptionsFor<T, SubscriptionOptions<T>, "seqOf">) {
    this.endpoint = options.endpoint ?? CLIENT_DEFAULTS.endpoints.publish;
    // OptionsFor lets seqOf be left out only when T is Envelope, where the Envelope's seq is the right one.
    this.seqOf = (options.seqOf === undefined ? seqOf : options.seqOf) as ((m: T) => bigint | undefined) | null;
    const curve = clientCurveOptions(options.curve);
    this.subscriber = new Subscriber<T>({
      linger: CLIENT_DEFAULTS.linger,
      ...options.socket,
      ...curve,
      codec: codecOrDefault(options.codec),
      topics: options.topics ?? [""],
    });
    if (curve.curvePublicKey !== undefined) {
      // Closing ends a pending receive (undefined), which next() turns into this error: no race on the hot path.
      this.guard = new CurveGuard(this.subscriber, this.endpoint, curve.curvePublicKey, (error) => {
        this.refusal ??= error;
        this.close();
      });
    }
    this.subscriber.connect(this.endpoint);
    const signal = options.signal;
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    this.disposeSignal = () => signal?.removeEventListener("abort", onAbort);
    if (signal?.aborted) this.close();
  }

  /** Adds a topic prefix filter. */
  subscribe(topic: Topic): void {
    this.subscriber.subscribe(topic);
  }

  /** Removes a topic prefix filter. */
  unsubscribe(topic: Topic): void {
    this.subscriber.unsubscribe(topic);
  }

  /**
   * The next decodable message, or undefined once closed. With `timeoutMs`, rejects with TimeoutError
   * when nothing arrives in time (the subscription stays usable).
   */
  async next(options: CallOptions = {}): Promise<TopicMessage<T> | undefined> {
    const buffered = this.takeBuffered();
    if (buffered !== undefined) return buffered;
    if (options.timeoutMs === undefined && options.signal === undefined) return this.nextUnbounded();
    const aborted = whenAborted(options.signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      options.timeoutMs === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new TimeoutError(
                    `no message within ${options.timeoutMs} ms${this.guard?.timeoutHint() ?? ""}`,
                    1,
                    options.timeoutMs!,
                  ),
                ),
              options.timeoutMs,
            );
          });
    try {
      for (;;) {
        this.pendingReceive ??= this.subscriber.receiveMany();
        const racers: Array<Promise<IncomingPublished<T> | undefined>> = [this.pendingReceive, aborted.promise];
        if (timeout) racers.push(timeout);
        const incoming = await Promise.race(racers);
        this.pendingReceive = undefined;
        if (incoming === undefined) return this.ended();
        this.accept(incoming);
        const next = this.takeBuffered();
        if (next !== undefined) return next;
      }
    } finally {
      clearTimeout(timer);
      aborted.dispose();
    }
  }

  // The hot path for iteration: no timer, no race, one await per ZeroMQ message (a batch is one).
  private async nextUnbounded(): Promise<TopicMessage<T> | undefined> {
    for (;;) {
      const pending = this.pendingReceive ?? this.subscriber.receiveMany();
      this.pendingReceive = undefined;
      const incoming = await pending;
      if (incoming === undefined) return this.ended();
      this.accept(incoming);
      const next = this.takeBuffered();
      if (next !== undefined) return next;
    }
  }

  /**
   * Every decodable message the next ZeroMQ message carried — one message, or a whole batch's in order —
   * or undefined once closed: one promise per batch instead of one per message (the fast way to read batched
   * publishers). Gaps are counted per message, as next() does. Options as for next().
   */
  async nextBatch(options: CallOptions = {}): Promise<Array<TopicMessage<T>> | undefined> {
    const first = await this.next(options);
    if (first === undefined) return undefined;
    const out = [first];
    for (let m = this.takeBuffered(); m !== undefined; m = this.takeBuffered()) out.push(m);
    return out;
  }

  /** Iterates nextBatch() until closed; breaking out of the loop closes the subscription. */
  async *batches(): AsyncGenerator<Array<TopicMessage<T>>, void, undefined> {
    try {
      for (let batch = await this.nextBatch(); batch !== undefined; batch = await this.nextBatch()) yield batch;
    } finally {
      this.close();
    }
  }

  /** Iterates until closed; breaking out of the loop closes the subscription. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TopicMessage<T>, void, undefined> {
    try {
      for (;;) {
        // The rest of a batch is handed out without going back to the socket; otherwise one await per
        // ZeroMQ message, straight on the socket's receive (no extra async layer: this is the hot path).
        let m = this.takeBuffered();
        while (m === undefined) {
          const pending = this.pendingReceive ?? this.subscriber.receiveMany();
          this.pendingReceive = undefined;
          const incoming = await pending;
          if (incoming === undefined) return this.ended();
          this.accept(incoming);
          m = this.takeBuffered();
        }
        yield m;
      }
    } finally {
      this.close();
    }
  }

  // Takes in what one ZeroMQ message carried; a batch refused whole counts as one undecodable message.
  private accept(incoming: IncomingPublished<T>): void {
    if (incoming.refused !== undefined) this.stats.undecodable++;
    this.current = incoming;
    this.index = 0;
  }

  // The next decodable message of the current ZeroMQ message, counting the ones that are not.
  private takeBuffered(): TopicMessage<T> | undefined {
    const current = this.current;
    if (current === undefined) return undefined;
    const items = current.items;
    while (this.index < items.length) {
      const item = items[this.index++]!;
      if (item.ok) return this.deliver(current.topic, item.message);
      this.stats.undecodable++;
    }
    this.current = undefined;
    return undefined;
  }

  /** Closes the socket; a pending next() resolves undefined. Idempotent. */
  close(): void {
    this.disposeSignal();
    this.guard?.close();
    this.subscriber.close();
  }

  // The end of the stream: closed by the caller (undefined), or by a refusal (thrown).
  private ended(): undefined {
    if (this.refusal !== undefined) throw this.refusal;
    return undefined;
  }

  private deliver(topic: string, message: T): TopicMessage<T> {
    this.stats.received++;
    let missed = 0;
    const seq = this.seqOf?.(message);
    if (seq !== undefined) {
      const last = this.lastSeq.get(topic);
      if (last !== undefined) {
        if (seq > last + 1n) {
          missed = Number(seq - last - 1n);
          this.stats.gaps++;
          this.stats.lost += missed;
        } else if (seq <= last) {
          this.stats.outOfOrder++;
        }
      }
      this.lastSeq.set(topic, seq);
    }
    return { topic, message, missed };
  }
}
