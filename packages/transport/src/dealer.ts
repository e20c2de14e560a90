import * as zmq from "zeromq";
import type { Codec, Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import type { OptionsFor } from "./codec-args.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";
import { badFrames, codecOrDefault, decodeFrame, type Received } from "./received.js";

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
}

const EMPTY = Buffer.alloc(0);

/** A DEALER client: send many requests without waiting, receive replies as they come (pipelining). */
export class Dealer<T = Envelope> extends ReceivingSocket<zmq.Dealer, Received<T>> {
  private readonly codec: Codec<T>;
  private readonly delimiter: boolean;

  constructor(...[options]: OptionsFor<T, DealerOptions<T>>) {
    super(createSocket(zmq.Dealer, zmqOptions(options)));
    this.codec = codecOrDefault(options?.codec);
    this.delimiter = options?.delimiter ?? false;
  }

  /** Encodes and queues one message; resolves when queued (not delivered). */
  send(message: T): Promise<void> {
    return this.sendBytes(this.codec.encode(message));
  }

  /** Queues already-encoded bytes as one message. */
  sendBytes(payload: Uint8Array): Promise<void> {
    return this.sendFrames(this.delimiter ? [EMPTY, payload] : [payload]);
  }

  /** The next reply (`[payload]` or `["", payload]`), or undefined once closed. */
  async receive(): Promise<Received<T> | undefined> {
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const payload =
      frames.length === 1 ? frames[0] : frames.length === 2 && frames[0]!.length === 0 ? frames[1] : undefined;
    return payload === undefined
      ? badFrames<T>(frames, "1 payload frame, optionally after an empty delimiter", this.counters)
      : decodeFrame(this.codec, payload, frames, this.counters);
  }
}
