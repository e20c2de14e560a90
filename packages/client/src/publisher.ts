import { BatchWriter, type Codec, type Envelope } from "@zpb/proto";
import {
  CurveServerSecurity,
  Publisher,
  type KeySource,
  type OptionsFor,
  type SocketOptions,
  type Topic,
  type ZapRefusal,
} from "@zpb/transport";
import { codecOrDefault } from "@zpb/transport/internal";
import { CLIENT_DEFAULTS } from "./options.js";

export interface TopicPublisherOptions<T = Envelope> {
  /**
   * The endpoint to bind, as the Rust prost + zmq example's PUB does. Default: DEFAULT_ENDPOINTS.publish
   * (tcp://127.0.0.1:6000).
   */
  endpoint?: string;
  /** How messages are encoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /**
   * Messages publishMany() packs into one batch `[topic, marker, batch]` (docs/wire.md, "Batches"). Default 1:
   * one frame per message, which every subscriber reads. Raise it only when every subscriber speaks the batch
   * wire (zpb's Subscription does; the Rust prost + zmq example's and pyzmq's SUB do not).
   */
  batch?: number;
  /** libzmq options for the PUB socket (linger defaults to 1000 ms; PUB drops at sendHighWaterMark). */
  socket?: SocketOptions;
  /** Publish over CURVE: this publisher is the CURVE server, subscribers authenticate to it. */
  curve?: TopicPublisherCurve;
}

/** CURVE for a publisher: its secret key, and optionally which subscribers it accepts. */
export interface TopicPublisherCurve {
  /** The publisher's secret key, or its secret certificate file (`NAME.key_secret`). */
  secretKey: KeySource;
  /** A directory of subscriber public certificates (`*.key`): only those subscribe. Default: any subscriber that knows the publisher's public key. */
  authorizedKeys?: string;
  /** Hears of every refused subscriber (address and public key). */
  onRefused?: (refusal: ZapRefusal) => void;
}

/** What publishMany() publishes and how fast. */
export interface PublishManyOptions<T> {
  topic: Topic;
  /** Builds message number i (1, 2, 3 …). */
  message: (i: number) => T;
  /** How many to publish. Default Infinity (until `signal`). */
  count?: number;
  /** Messages per second; 0 or undefined publishes as fast as the socket takes them. */
  rate?: number;
  /** Stops publishing early; publishMany then resolves with what was sent. */
  signal?: AbortSignal;
  /** Messages per batch for this run (default: the publisher's `batch` option). */
  batch?: number;
  /** Called every `progressEvery` messages with the count so far. */
  onProgress?: (sent: number) => void;
  progressEvery?: number;
}

/** Paced publishing in batches: timers tick at ~1 ms, so we catch up to the schedule rather than sleep per message. */
const YIELD_EVERY = 1024;

/**
 * A PUB client (the market-data publisher of the Rust prost + zmq example): topic + message, paced, bounded, waiting
 * for subscribers when asked.
 */
export class TopicPublisher<T = Envelope> {
  private readonly writer = new BatchWriter();

  private constructor(
    private readonly publisher: Publisher<T>,
    /** The endpoint actually bound (with the real port when 0 or * was asked for). */
    readonly endpoint: string,
    private readonly codec: Codec<T>,
    private readonly batch: number,
    private readonly security: CurveServerSecurity | undefined,
  ) {}

  /** Binds a publisher on `endpoint`. */
  static async bind<T = Envelope>(
    ...[options = {}]: OptionsFor<T, TopicPublisherOptions<T>>
  ): Promise<TopicPublisher<T>> {
    const batch = batchSize(options.batch ?? CLIENT_DEFAULTS.publishBatch);
    const security = options.curve ? await CurveServerSecurity.start(options.curve) : undefined;
    const publisher = new Publisher<T>({
      linger: CLIENT_DEFAULTS.publisherLinger,
      ...options.socket,
      ...security?.socketOptions,
      codec: codecOrDefault(options.codec),
    });
    try {
      const endpoint = await publisher.bind(options.endpoint ?? CLIENT_DEFAULTS.endpoints.publish);
      const codec = codecOrDefault(options.codec);
      return new TopicPublisher(publisher, endpoint, codec, batch, security);
    } catch (error) {
      publisher.close();
      await security?.close();
      throw error;
    }
  }

  /**
   * Connects a publisher to `endpoint` instead of binding: to a forwarder's publisher side (`zpb forward`,
   * `Forwarder` in @zpb/transport), where many publishers meet many subscribers at one address. The forwarder
   * speaks plain tcp, so `curve` is refused here.
   */
  static connect<T = Envelope>(...[options = {}]: OptionsFor<T, TopicPublisherOptions<T>>): TopicPublisher<T> {
    if (options.curve) throw new RangeError("a publisher that connects to a forwarder cannot use curve");
    const batch = batchSize(options.batch ?? CLIENT_DEFAULTS.publishBatch);
    const publisher = new Publisher<T>({
      linger: CLIENT_DEFAULTS.publisherLinger,
      ...options.socket,
      codec: codecOrDefault(options.codec),
    });
    const endpoint = options.endpoint ?? CLIENT_DEFAULTS.endpoints.publish;
    try {
      publisher.connect(endpoint);
    } catch (error) {
      publisher.close();
      throw error;
    }
    return new TopicPublisher(publisher, endpoint, codecOrDefault(options.codec), batch, undefined);
  }

  /** The publisher's CURVE public key (what subscribers give as `serverKey`), or undefined without CURVE. */
  get publicKey(): string | undefined {
    return this.security?.publicKey;
  }

  /** Re-reads `curve.authorizedKeys` (subscribers already connected stay connected). */
  async reloadAuthorizedKeys(): Promise<void> {
    await this.security?.reload();
  }

  /** Publishes one message under `topic`. */
  publish(topic: Topic, message: T): Promise<void> {
    return this.publisher.publish(topic, message);
  }

  /**
   * Publishes `messages` (at least one) under `topic` as one batch: one ZeroMQ message, unpacked by zpb
   * subscribers into the same messages in order.
   */
  publishBatch(topic: Topic, messages: readonly T[]): Promise<void> {
    return this.publisher.publishBatch(topic, messages);
  }

  /** Resolves once `count` subscriptions match `topic`; rejects with TransportError "TIMEOUT" after `timeoutMs`. */
  waitForSubscribers(count = 1, options: { topic?: Topic; timeoutMs?: number } = {}): Promise<void> {
    return this.publisher.waitForSubscribers(count, options);
  }

  /**
   * Publishes `count` messages at `rate` msgs/s (or flat out), `batch` to a ZeroMQ message; resolves with how many
   * went out and how long it took.
   */
  async publishMany(options: PublishManyOptions<T>): Promise<{ sent: number; elapsedMs: number }> {
    const { topic, message, count = Infinity, rate = 0, signal, onProgress, progressEvery = 1000 } = options;
    const batch = batchSize(options.batch ?? this.batch);
    const start = performance.now();
    let sent = 0;
    let nextProgress = progressEvery;
    let nextYield = YIELD_EVERY;
    while (sent < count && !signal?.aborted) {
      let due = count;
      if (rate > 0) {
        due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
        if (sent >= due) {
          await sleep(Math.max(1, ((sent + 1) / rate) * 1000 - (performance.now() - start)), signal);
          continue;
        }
      }
      const take = Math.min(batch, due - sent);
      if (take === 1) {
        await this.publisher.publish(topic, message(sent + 1));
      } else {
        try {
          for (let i = 1; i <= take; i++) this.writer.addMessage(this.codec, message(sent + i));
        } catch (error) {
          this.writer.reset(); // nothing of a batch that failed to encode may leak into the next one
          throw error;
        }
        await this.publisher.publishBatchBytes(topic, this.writer.finish(), take);
      }
      sent += take;
      if (onProgress && sent >= nextProgress) {
        onProgress(sent);
        nextProgress = (Math.floor(sent / progressEvery) + 1) * progressEvery;
      }
      // Sends can resolve synchronously for long runs; let timers and signals (Ctrl-C) in now and then.
      if (sent >= nextYield) {
        nextYield = sent + YIELD_EVERY;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { sent, elapsedMs: performance.now() - start };
  }

  /**
   * Closes the socket; messages already queued for connected subscribers get up to `linger` ms (default 1000) to go
   * out. Idempotent.
   */
  close(): void {
    this.publisher.close();
    void this.security?.close();
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function batchSize(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`batch must be a positive integer, got ${value}`);
  return value;
}
