import * as zmq from "zeromq";
import type { Codec, Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import type { OptionsFor } from "./codec-args.js";
import { createSocket, zmqOptions, type SocketOptions } from "./options.js";
import { codecOrDefault, decodeSingle, type Received } from "./received.js";

export interface ReplierOptions<T = Envelope> extends SocketOptions {
  /** How requests are decoded and replies encoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
}

/**
 * A REP socket (the REQ/REP server of the Rust prost + zmq example): receive one request, then reply exactly once.
 * Reply to bad input too (`ok: false`): a REQ peer that gets no reply hangs, and this socket can't receive again.
 */
export class Replier<T = Envelope> extends ReceivingSocket<zmq.Reply, Received<T>> {
  private readonly codec: Codec<T>;

  constructor(...[options]: OptionsFor<T, ReplierOptions<T>>) {
    super(createSocket(zmq.Reply, zmqOptions(options)));
    this.codec = codecOrDefault(options?.codec);
  }

  /** The next request, or undefined once closed. A multi-frame request comes back as a FrameError. */
  async receive(): Promise<Received<T> | undefined> {
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    return decodeSingle(this.codec, frames, this.counters);
  }

  /** Encodes and sends the reply to the request just received. */
  reply(message: T): Promise<void> {
    return this.replyBytes(this.codec.encode(message));
  }

  /** Sends already-encoded bytes as the reply. */
  replyBytes(payload: Uint8Array): Promise<void> {
    return this.sendFrames([payload]);
  }
}
