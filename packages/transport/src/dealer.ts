import * as zmq from "zeromq";
import {
  BATCH_MARKER,
  createBatchCodec,
  isBatchMarker,
  type BatchCodec,
  type BatchLimits,
  type Codec,
  type Envelope,
} from "@zpb/proto";
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

export interface DealerOptions<T = Envelope> extends SocketOptions {
  /** How messages are encoded and replies decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /**
   * Put an empty delimiter frame before each payload, as REQ does. Default false: one frame per message,
   * exactly what the Rust prost + zmq example's DEALER sends (docs/wire.md); zpb's Router answers either shape.
   */
  delimiter?: boolean;
  /** ZMQ_ROUTING_ID: a stable identity the ROUTER sees (default: libzmq picks one). */
  routingId?: string;
  /** Bounds on a received batch (default BATCH_LIMITS); a larger one comes back refused. */
  batchLimits?: BatchLimits;
}

const EMPTY = Buffer.alloc(0);
const EXPECTED = "[payload] or [marker, batch], optionally after an empty delimiter";

/**
 * A DEALER client: send many requests without waiting, receive replies as they come (pipelining).
 * `sendBatch()` packs many messages into one ZeroMQ message (docs/wire.md, "Batches"); replies that are
 * batches are handed out one item at a time by receive(), or whole by receiveMany().
 */
export class Dealer<T = Envelope> extends ReceivingSocket<zmq.Dealer, Received<T>> {
  private readonly codec: Codec<T>;
  private readonly delimiter: boolean;
  private readonly batchLimits: BatchLimits | undefined;
  private batchCodec: BatchCodec<T> | undefined;

  constructor(...[options]: OptionsFor<T, DealerOptions<T>>) {
    super(createSocket(zmq.Dealer, zmqOptions(options)));
    this.codec = codecOrDefault(options?.codec);
    this.delimiter = options?.delimiter ?? false;
    this.batchLimits = options?.batchLimits;
  }

  /** Encodes and queues one message; resolves when queued (not delivered). */
  send(message: T): Promise<void> {
    return this.sendBytes(this.codec.encode(message));
  }

  /** Queues already-encoded bytes as one message. */
  sendBytes(payload: Uint8Array): Promise<void> {
    return this.sendFrames(this.delimiter ? [EMPTY, payload] : [payload]);
  }

  /** Encodes `messages` (at least one) into one batch and queues it as one ZeroMQ message. */
  sendBatch(messages: readonly T[]): Promise<void> {
    this.batchCodec ??= createBatchCodec(this.codec);
    return this.sendBatchBytes(this.batchCodec.encode(messages), messages.length);
  }

  /** Queues an already-built batch frame (see BatchWriter) carrying `messages` items, after the marker frame. */
  sendBatchBytes(batch: Uint8Array, messages = 1): Promise<void> {
    return this.sendFrames(this.delimiter ? [EMPTY, BATCH_MARKER, batch] : [BATCH_MARKER, batch], messages);
  }

  /** The next reply (`[payload]`, `["", payload]`, or the next item of a batch), or undefined once closed. */
  async receive(): Promise<Received<T> | undefined> {
    const held = this.takeBacklog();
    if (held !== undefined) return held;
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const at = singlePayloadAt(frames);
    if (at >= 0) return decodeFrame(this.codec, frames[at]!, frames, this.counters);
    return this.handOut(flatten(this.classify(frames)));
  }

  /** Everything the next ZeroMQ message carried: one reply, or a batch's replies in order; undefined once closed. */
  async receiveMany(): Promise<Incoming<T> | undefined> {
    const held = this.drainBacklog();
    if (held.length > 0) return { batch: true, items: held, refused: undefined, frames: held[0]!.frames };
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const at = singlePayloadAt(frames);
    if (at >= 0) return incomingSingle(decodeFrame(this.codec, frames[at]!, frames, this.counters));
    return this.classify(frames);
  }

  /** A reply that is not a single payload: a batch (`[marker, batch]`, optionally after "") or bad frames. */
  private classify(frames: Buffer[]): Incoming<T> {
    const body = frames[0]?.length === 0 ? 1 : 0;
    if (frames.length === body + 2 && isBatchMarker(frames[body]!)) {
      return decodeBatch(this.codec, frames[body + 1]!, frames, this.counters, this.batchLimits);
    }
    return incomingSingle(badFrames<T>(frames, EXPECTED, this.counters));
  }
}

/** Where the payload of a single-message reply sits (`[payload]` or `["", payload]`), or -1. */
function singlePayloadAt(frames: Buffer[]): number {
  if (frames.length === 1) return 0;
  return frames.length === 2 && frames[0]!.length === 0 ? 1 : -1;
}
