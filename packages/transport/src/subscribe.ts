import * as zmq from "zeromq";
import type { Codec, Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import type { OptionsFor } from "./codec-args.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";
import { badFrames, codecOrDefault, decodeFrame, type Received } from "./received.js";
import type { Topic } from "./publish.js";

/**
 * A published message: its topic (as UTF-8 text and as the raw bytes, for binary topics) plus the decoded message or
 * why it could not be decoded.
 */
export type Published<T> = Received<T> & { topic: string; topicBytes: Buffer };

export interface SubscriberOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Topic prefixes to subscribe to at once ("" = everything). Default: none; call subscribe(). */
  topics?: Topic[];
}

/**
 * A subscriber (as the SUB of the Rust prost + zmq example): receives `[topic, payload]` for the topic prefixes it
 * subscribed to.
 */
export class Subscriber<T = Envelope> extends ReceivingSocket<zmq.Subscriber, Published<T>> {
  private readonly codec: Codec<T>;

  constructor(...[options]: OptionsFor<T, SubscriberOptions<T>>) {
    super(createSocket(zmq.Subscriber, zmqOptions(options)));
    this.codec = codecOrDefault(options?.codec);
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

  /** The next message, or undefined once closed; a message that is not `[topic, payload]` is a FrameError. */
  async receive(): Promise<Published<T> | undefined> {
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const topicBytes = frames[0] ?? Buffer.alloc(0);
    const topic = topicBytes.toString("utf8");
    const received =
      frames.length === 2
        ? decodeFrame(this.codec, frames[1]!, frames, this.counters)
        : badFrames<T>(frames, "2 frames [topic, payload]", this.counters);
    return Object.assign(received, { topic, topicBytes });
  }
}
