import * as zmq from "zeromq";
import { isBatchMarker, type BatchLimits, type Codec, type Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";
import {
  badFrames,
  codecOrDefault,
  decodeBatch,
  decodeFrame,
  flatten,
  incomingSingle,
  type Incoming,
  type Received,
} from "./received.js";
import type { Topic } from "./publish.js";

/** A published message: its topic (as UTF-8 text and as the raw bytes, for binary topics) plus the decoded message or why it could not be decoded. */
export type Published<T> = Received<T> & { topic: string; topicBytes: Buffer };

/** Everything one published ZeroMQ message carried (one message, or a batch's items), with its topic. */
export type IncomingPublished<T> = Incoming<T> & { topic: string; topicBytes: Buffer };

export interface SubscriberOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded. Default: envelopeCodec. */
  codec?: Codec<T>;
  /** Topic prefixes to subscribe to at once ("" = everything). Default: none; call subscribe(). */
  topics?: Topic[];
  /** Bounds on a received batch (default BATCH_LIMITS); a larger one comes back refused. */
  batchLimits?: BatchLimits;
}

const EXPECTED = "2 frames [topic, payload] or 3 frames [topic, marker, batch]";

/**
 * A subscriber (the Rust prost + zmq example's SUB): receives `[topic, payload]` for the topic prefixes it
 * subscribed to, and batches `[topic, marker, batch]` (docs/wire.md, "Batches"), which receive() hands out
 * one message at a time and receiveMany() whole.
 */
export class Subscriber<T = Envelope> extends ReceivingSocket<zmq.Subscriber, Published<T>> {
  private readonly codec: Codec<T>;
  private readonly batchLimits: BatchLimits | undefined;

  constructor(options: SubscriberOptions<T> = {}) {
    super(createSocket(zmq.Subscriber, zmqOptions(options)));
    this.codec = codecOrDefault(options.codec);
    this.batchLimits = options.batchLimits;
    for (const topic of options.topics ?? []) this.subscribe(topic);
  }

  /** Adds a topic prefix filter ("" receives everything). */
  subscribe(topic: Topic): void {
    this.socket.subscribe(topic);
  }

  /** Removes a topic prefix filter added before. */
  unsubscribe(topic: Topic): void {
    this.socket.unsubscribe(topic);
  }

  /** The next message (a batch's items one at a time), or undefined once closed; any other shape is a FrameError. */
  async receive(): Promise<Published<T> | undefined> {
    const held = this.takeBacklog();
    if (held !== undefined) return held;
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const topicBytes = frames[0] ?? Buffer.alloc(0);
    const topic = topicBytes.toString("utf8");
    if (frames.length === 2) {
      const received = decodeFrame(this.codec, frames[1]!, frames, this.counters) as Published<T>;
      received.topic = topic;
      received.topicBytes = topicBytes;
      return received;
    }
    const items = flatten(this.classify(frames)) as Published<T>[];
    for (const item of items) {
      item.topic = topic;
      item.topicBytes = topicBytes;
    }
    return this.handOut(items);
  }

  /** Everything the next ZeroMQ message carried (one message, or a batch's items in order), or undefined once closed. */
  async receiveMany(): Promise<IncomingPublished<T> | undefined> {
    const held = this.drainBacklog();
    if (held.length > 0) {
      const { topic, topicBytes, frames } = held[0]!;
      return { batch: true, items: held, refused: undefined, frames, topic, topicBytes };
    }
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const topicBytes = frames[0] ?? Buffer.alloc(0);
    const incoming =
      frames.length === 2
        ? incomingSingle(decodeFrame(this.codec, frames[1]!, frames, this.counters))
        : this.classify(frames);
    return Object.assign(incoming, { topic: topicBytes.toString("utf8"), topicBytes });
  }

  private classify(frames: Buffer[]): Incoming<T> {
    if (frames.length === 3 && isBatchMarker(frames[1]!)) {
      return decodeBatch(this.codec, frames[2]!, frames, this.counters, this.batchLimits);
    }
    return incomingSingle(badFrames<T>(frames, EXPECTED, this.counters));
  }
}
