import * as zmq from "zeromq";
import type { Codec, Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import type { OptionsFor } from "./codec-args.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";
import { codecOrDefault, decodeSingle, type Received } from "./received.js";

export interface RequesterOptions<T = Envelope> extends SocketOptions {
  /** How requests are encoded and replies decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** ZMQ_REQ_CORRELATE + ZMQ_REQ_RELAXED: allow a new request before the last reply, dropping stale replies. */
  relaxed?: boolean;
}

/**
 * A REQ socket: strict send → receive alternation, one frame each way (the REQ client of the Rust prost + zmq example;
 * docs/wire.md).
 */
export class Requester<T = Envelope> extends ReceivingSocket<zmq.Request, Received<T>> {
  private readonly codec: Codec<T>;

  constructor(...[options]: OptionsFor<T, RequesterOptions<T>>) {
    const { relaxed, ...rest } = options ?? {};
    super(createSocket(zmq.Request, zmqOptions(rest, relaxed ? { relaxed: true, correlate: true } : {})));
    this.codec = codecOrDefault(options?.codec);
  }

  /** Encodes and sends one request. */
  send(message: T): Promise<void> {
    return this.sendBytes(this.codec.encode(message));
  }

  /** Sends one already-encoded request. */
  sendBytes(payload: Uint8Array): Promise<void> {
    return this.sendFrames([payload]);
  }

  /** The reply to the last request; rejects with TransportError "TIMEOUT" after `receiveTimeout`. */
  async receive(): Promise<Received<T> | undefined> {
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    return decodeSingle(this.codec, frames, this.counters);
  }

  /** Sends `message` and waits for its reply (undefined if the socket is closed meanwhile). */
  async request(message: T): Promise<Received<T> | undefined> {
    await this.send(message);
    return this.receive();
  }
}
