import * as zmq from "zeromq";
import { isBatchMarker, type BatchLimits, type Codec, type Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import type { OptionsFor } from "./codec-args.js";
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

/**
 * A published message: its topic (as UTF-8 text and as the raw bytes, for binary topics) plus the decoded message or
 * why it could not be decoded.
 */
export type Published<T> = Received<T> & { topic: string; topicBytes: Buffer };

/** Everything one published ZeroMQ message carried (one message, or a batch's items), with its topic. */
export type IncomingPublished<T> = Incoming<T> & { topic: string; topicBytes: Buffer };

export interface SubscriberOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Topic prefixes to subscribe to at once ("" = everything). Default: none; call subscribe(). */
  topics?: Topic[];
  /** Bounds on a received batch (default BATCH_LIMITS); a larger one comes back refused. */
  batchLimits?: BatchLimits;
}

const EMPTY = Buffer.alloc(0);
const EXPECTED = "2 frames [topic, payload] or 3 frames [topic, marker, batch]";

/**
 * A subscriber (as the SUB of the Rust prost + zmq example): receives `[topic, payload]` for the topic prefixes it
 * subscribed to, and batches `[topic, marker, batch]` (docs/wire.md, "Batches"), which receive() hands out one
 * message at a time and receiveMany() whole.
 */
export class Subscriber<T = Envelope> extends ReceivingSocket<zmq.Subscriber, Published<T>> {
  private readonly codec: Codec<T>;
  private readonly batchLimits: BatchLimits | undefined;
  private lastTopicBytes: Buffer | undefined;
  private lastTopic = "";

  constructor(...[options]: OptionsFor<T, SubscriberOptions<T>>) {
    super(createSocket(zmq.Subscriber, zmqOptions(options)));
    this.codec = codecOrDefault(options?.codec);
    this.batchLimits = options?.batchLimits;
    for (const topic of options?.topics ?? []) this.subscribe(topic);
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
    const topicBytes = frames[0] ?? EMPTY;
    const topic = this.topicText(topicBytes);
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
  receiveMany(): Promise<IncomingPublished<T> | undefined> {
    const held = this.drainBacklog();
    if (held.length > 0) {
      const { topic, topicBytes, frames } = held[0]!;
      return Promise.resolve({ batch: true, items: held, refused: undefined, frames, topic, topicBytes });
    }
    return this.receiveMapped(this.toIncoming);
  }

  private readonly toIncoming = (frames: Buffer[]): IncomingPublished<T> => {
    const topicBytes = frames[0] ?? EMPTY;
    const topic = this.topicText(topicBytes);
    if (frames.length === 2) {
      const item = decodeFrame(this.codec, frames[1]!, frames, this.counters);
      return { batch: false, items: [item], refused: undefined, frames, topic, topicBytes };
    }
    const { batch, items, refused } = this.classify(frames);
    return { batch, items, refused, frames, topic, topicBytes };
  };

  /** The topic as text; a stream usually repeats one topic, so the last decoding is reused when the bytes match. */
  private topicText(bytes: Buffer): string {
    const last = this.lastTopicBytes;
    if (last !== undefined && last.length === bytes.length) {
      let same = true;
      for (let i = 0; i < bytes.length; i++) {
        if (last[i] !== bytes[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastTopic;
    }
    this.lastTopicBytes = bytes;
    this.lastTopic = bytes.toString("utf8");
    return this.lastTopic;
  }

  private classify(frames: Buffer[]): Incoming<T> {
    if (frames.length === 3 && isBatchMarker(frames[1]!)) {
      return decodeBatch(this.codec, frames[2]!, frames, this.counters, this.batchLimits);
    }
    return incomingSingle(badFrames<T>(frames, EXPECTED, this.counters));
  }
}
