import { seqOf, type Codec, type Envelope } from "@zpb/proto";
import { Subscriber, type OptionsFor, type Published, type SocketOptions, type Topic } from "@zpb/transport";
import { codecOrDefault } from "@zpb/transport/internal";
import { whenAborted } from "./abort.js";
import { TimeoutError } from "./errors.js";
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
  /** Messages skipped because they could not be decoded or had bad frames. */
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
 * Undecodable messages are counted and skipped; seq gaps per topic are counted as lost messages.
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
  private pendingReceive: Promise<Published<T> | undefined> | undefined;
  private readonly disposeSignal: () => void;

  constructor(...[options = {}]: OptionsFor<T, SubscriptionOptions<T>, "seqOf">) {
    this.endpoint = options.endpoint ?? CLIENT_DEFAULTS.endpoints.publish;
    // OptionsFor lets seqOf be left out only when T is Envelope, where the Envelope's seq is the right one.
    this.seqOf = (options.seqOf === undefined ? seqOf : options.seqOf) as ((m: T) => bigint | undefined) | null;
    this.subscriber = new Subscriber<T>({
      linger: CLIENT_DEFAULTS.linger,
      ...options.socket,
      codec: codecOrDefault(options.codec),
      topics: options.topics ?? [""],
    });
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
    if (options.timeoutMs === undefined && options.signal === undefined) return this.nextUnbounded();
    const aborted = whenAborted(options.signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout =
      options.timeoutMs === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new TimeoutError(`no message within ${options.timeoutMs} ms`, 1, options.timeoutMs!)),
              options.timeoutMs,
            );
          });
    try {
      for (;;) {
        this.pendingReceive ??= this.subscriber.receive();
        const racers: Array<Promise<Published<T> | undefined>> = [this.pendingReceive, aborted.promise];
        if (timeout) racers.push(timeout);
        const received = await Promise.race(racers);
        this.pendingReceive = undefined;
        if (received === undefined) return undefined;
        if (!received.ok) {
          this.stats.undecodable++;
          continue;
        }
        return this.deliver(received.topic, received.message);
      }
    } finally {
      clearTimeout(timer);
      aborted.dispose();
    }
  }

  // The hot path for iteration: no timer, no race, one await per message.
  private async nextUnbounded(): Promise<TopicMessage<T> | undefined> {
    for (;;) {
      const pending = this.pendingReceive ?? this.subscriber.receive();
      this.pendingReceive = undefined;
      const received = await pending;
      if (received === undefined) return undefined;
      if (!received.ok) {
        this.stats.undecodable++;
        continue;
      }
      return this.deliver(received.topic, received.message);
    }
  }

  /** Iterates until closed; breaking out of the loop closes the subscription. */
  async *[Symbol.asyncIterator](): AsyncGenerator<TopicMessage<T>, void, undefined> {
    try {
      for (let m = await this.next(); m !== undefined; m = await this.next()) yield m;
    } finally {
      this.close();
    }
  }

  /** Closes the socket; a pending next() resolves undefined. Idempotent. */
  close(): void {
    this.disposeSignal();
    this.subscriber.close();
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
