import type { Codec, Envelope } from "@zpb/proto";
import { Publisher, type OptionsFor, type SocketOptions, type Topic } from "@zpb/transport";
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
  /** libzmq options for the PUB socket (linger defaults to 1000 ms; PUB drops at sendHighWaterMark). */
  socket?: SocketOptions;
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
  private constructor(
    private readonly publisher: Publisher<T>,
    /** The endpoint actually bound (with the real port when 0 or * was asked for). */
    readonly endpoint: string,
  ) {}

  /** Binds a publisher on `endpoint`. */
  static async bind<T = Envelope>(
    ...[options = {}]: OptionsFor<T, TopicPublisherOptions<T>>
  ): Promise<TopicPublisher<T>> {
    const publisher = new Publisher<T>({
      linger: CLIENT_DEFAULTS.publisherLinger,
      ...options.socket,
      codec: codecOrDefault(options.codec),
    });
    try {
      const endpoint = await publisher.bind(options.endpoint ?? CLIENT_DEFAULTS.endpoints.publish);
      return new TopicPublisher(publisher, endpoint);
    } catch (error) {
      publisher.close();
      throw error;
    }
  }

  /** Publishes one message under `topic`. */
  publish(topic: Topic, message: T): Promise<void> {
    return this.publisher.publish(topic, message);
  }

  /** Resolves once `count` subscriptions match `topic`; rejects with TransportError "TIMEOUT" after `timeoutMs`. */
  waitForSubscribers(count = 1, options: { topic?: Topic; timeoutMs?: number } = {}): Promise<void> {
    return this.publisher.waitForSubscribers(count, options);
  }

  /**
   * Publishes `count` messages at `rate` msgs/s (or flat out); resolves with how many went out and how long it took.
   */
  async publishMany(options: PublishManyOptions<T>): Promise<{ sent: number; elapsedMs: number }> {
    const { topic, message, count = Infinity, rate = 0, signal, onProgress, progressEvery = 1000 } = options;
    const start = performance.now();
    let sent = 0;
    while (sent < count && !signal?.aborted) {
      if (rate > 0) {
        const due = Math.min(count, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
        if (sent >= due) {
          await sleep(Math.max(1, ((sent + 1) / rate) * 1000 - (performance.now() - start)), signal);
          continue;
        }
      }
      sent++;
      await this.publisher.publish(topic, message(sent));
      if (onProgress && sent % progressEvery === 0) onProgress(sent);
      // Sends can resolve synchronously for long runs; let timers and signals (Ctrl-C) in now and then.
      if (sent % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return { sent, elapsedMs: performance.now() - start };
  }

  /**
   * Closes the socket; messages already queued for connected subscribers get up to `linger` ms (default 1000) to go
   * out. Idempotent.
   */
  close(): void {
    this.publisher.close();
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
