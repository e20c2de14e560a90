import * as zmq from "zeromq";
import type { Codec, Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import { zmqOptions, type SocketOptions } from "./options.js";
import { badFrames, codecOrDefault, decodeFrame, type Received } from "./received.js";
import { routeTo, singlePayload, splitRouted, type Peer } from "./routing.js";

/** A routed message: who sent it, plus the decoded message or the reason it could not be decoded. */
export type RoutedMessage<T> = Received<T> & { peer: Peer };

export interface RouterOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded and replies encoded. Default: envelopeCodec. */
  codec?: Codec<T>;
  /**
   * ZMQ_ROUTER_MANDATORY. Default true: a reply to a peer whose queue is full waits instead of being
   * silently dropped, and a reply to a vanished peer rejects with TransportError "UNROUTABLE".
   * false restores libzmq's default (drop silently).
   */
  mandatory?: boolean;
}

/** Shared by Router and RoutedDealer: both receive `[route…, ("",) payload]` and reply in the same shape. */
abstract class RoutedSocket<T, S extends zmq.Router | zmq.Dealer> extends ReceivingSocket<S, RoutedMessage<T>> {
  protected constructor(
    socket: S,
    protected readonly codec: Codec<T>,
  ) {
    super(socket);
  }

  /** The next message with its peer, or undefined once closed. Bad frames or bytes come back as `ok: false`. */
  async receive(): Promise<RoutedMessage<T> | undefined> {
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const { peer, body } = splitRouted(frames);
    const payload = singlePayload(body);
    const received =
      payload instanceof Buffer
        ? decodeFrame(this.codec, payload, frames, this.counters)
        : badFrames<T>(frames, "1 payload frame after the routing envelope", this.counters);
    return Object.assign(received, { peer });
  }


  /** Encodes `message` and sends it to `peer`, with or without the delimiter as the peer used. */
  reply(peer: Peer, message: T): Promise<void> {
    return this.sendFrames(routeTo(peer, this.codec.encode(message)));
  }

  /** Sends already-encoded bytes to `peer` (for raw services, or bytes encoded elsewhere). */
  replyBytes(peer: Peer, payload: Uint8Array): Promise<void> {
    return this.sendFrames(routeTo(peer, payload));
  }
}

/**
 * A ROUTER: serves REQ peers (`[id, "", payload]`) and bare DEALER peers (`[id, payload]`) alike, and
 * answers each in the shape it used.
 */
export class Router<T = Envelope> extends RoutedSocket<T, zmq.Router> {
  constructor(options: RouterOptions<T> = {}) {
    super(new zmq.Router(zmqOptions(options, { mandatory: options.mandatory ?? true })), codecOrDefault(options.codec));
  }
}

export interface RoutedDealerOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded and replies encoded. Default: envelopeCodec. */
  codec?: Codec<T>;
}

/**
 * A DEALER that receives ROUTER-shaped messages: the worker end of a ROUTER↔DEALER proxy. It sees the
 * routing envelope the front ROUTER added and replies with it, so the front routes the reply home.
 */
export class RoutedDealer<T = Envelope> extends RoutedSocket<T, zmq.Dealer> {
  constructor(options: RoutedDealerOptions<T> = {}) {
    super(new zmq.Dealer(zmqOptions(options)), codecOrDefault(options.codec));
  }
}
