import * as zmq from "zeromq";
import { BATCH_MARKER, createBatchCodec, type BatchCodec, type Codec, type Envelope } from "@zpb/proto";
import { BaseSocket } from "./base.js";
import { TransportError } from "./errors.js";
import type { OptionsFor } from "./codec-args.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";
import { codecOrDefault } from "./received.js";

export interface PublisherOptions<T = Envelope> extends SocketOptions {
  /** How messages are encoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
}

/** Topics are UTF-8 strings or raw bytes (Buffer); SUB filters match by byte prefix. */
export type Topic = string | Buffer;

/**
 * A publisher (as in the market-data PUB of the Rust prost + zmq example): each message goes out as `[topic, payload]`.
 * Built on XPUB so it can see subscriptions: `waitForSubscribers()` beats the slow-joiner problem without sleeping.
 * At the send high-water mark PUB drops messages for that subscriber (libzmq's rule): raise
 * `sendHighWaterMark` for bursts you must not lose.
 */
export class Publisher<T = Envelope> extends BaseSocket<zmq.XPublisher> {
  private readonly codec: Codec<T>;
  private batchCodec: BatchCodec<T> | undefined;
  private readonly subscribers = new Map<string, number>();
  private readonly changed = new Set<() => void>();
  private watching = false;

  constructor(...[options]: OptionsFor<T, PublisherOptions<T>>) {
    super(createSocket(zmq.XPublisher, zmqOptions(options, { verbosity: "allSubsUnsubs" })));
    this.codec = codecOrDefault(options?.codec);
    // Count subscriptions from the start, so subscriberCount() is right before any wait; close() ends it.
    this.watchSubscriptions();
  }

  /** Encodes and publishes `message` under `topic`. */
  publish(topic: Topic, message: T): Promise<void> {
    return this.publishBytes(topic, this.codec.encode(message));
  }

  /** Publishes already-encoded bytes under `topic`. */
  publishBytes(topic: Topic, payload: Uint8Array): Promise<void> {
    return this.sendFrames([topic, payload]);
  }

  /**
   * Publishes `messages` (at least one) under `topic` as one batch `[topic, marker, batch]` (docs/wire.md,
   * "Batches"): one ZeroMQ message, so one high-water-mark slot and one drop decision for all of them.
   * zpb subscribers unpack it; a single-frame subscriber (the Rust or pyzmq SUB) cannot read it.
   */
  publishBatch(topic: Topic, messages: readonly T[]): Promise<void> {
    this.batchCodec ??= createBatchCodec(this.codec);
    return this.publishBatchBytes(topic, this.batchCodec.encode(messages), messages.length);
  }

  /** Publishes an already-built batch frame (see BatchWriter) carrying `messages` items under `topic`. */
  publishBatchBytes(topic: Topic, batch: Uint8Array, messages = 1): Promise<void> {
    return this.sendFrames([topic, BATCH_MARKER, batch], messages);
  }

  /** How many subscriptions currently match `topic` (a subscription to a prefix of it counts). */
  subscriberCount(topic: Topic = ""): number {
    const key = Buffer.from(topic).toString("latin1");
    let count = 0;
    for (const [prefix, n] of this.subscribers) if (key.startsWith(prefix)) count += n;
    return count;
  }

  /**
   * Resolves once at least `count` subscriptions match `topic`; rejects with TransportError "TIMEOUT" after
   * `timeoutMs` (default 5000). Use it before publishing what a fresh subscriber must not miss.
   */
  async waitForSubscribers(count = 1, options: { topic?: Topic; timeoutMs?: number } = {}): Promise<void> {
    const { topic = "", timeoutMs = 5000 } = options;
    if (this.closed) throw new TransportError("CLOSED", "waitForSubscribers: the publisher is closed");
    this.watchSubscriptions();
    if (this.subscriberCount(topic) >= count) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.closed) {
          done();
          reject(new TransportError("CLOSED", "waitForSubscribers: the publisher was closed while waiting"));
        } else if (this.subscriberCount(topic) >= count) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new TransportError(
            "TIMEOUT",
            `no ${count} subscriber(s) for topic "${String(topic)}" within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.changed.delete(check);
      };
      this.changed.add(check);
    });
  }

  // Reads XPUB's subscription frames (first byte 1 = subscribe, 0 = unsubscribe) until the socket closes.
  private watchSubscriptions(): void {
    if (this.watching) return;
    this.watching = true;
    void (async () => {
      for (let frames = await this.receiveFrames(); frames !== undefined; frames = await this.receiveFrames()) {
        const frame = frames[0];
        if (frame === undefined || frame.length === 0) continue;
        const key = frame.subarray(1).toString("latin1");
        const next = (this.subscribers.get(key) ?? 0) + (frame[0] === 1 ? 1 : -1);
        if (next > 0) this.subscribers.set(key, next);
        else this.subscribers.delete(key);
        for (const notify of [...this.changed]) notify();
      }
    })()
      .catch(() => {
        // A receive failure other than close only stops the subscription count; publishing is unaffected.
      })
      .finally(() => {
        // Closed (or broken): wake waiters so they reject now instead of at their timeout.
        for (const notify of [...this.changed]) notify();
      });
  }
}
