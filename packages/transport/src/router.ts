import * as zmq from "zeromq";
import { isBatchMarker, type BatchLimits, type Codec, type Envelope } from "@zpb/proto";
import { ReceivingSocket } from "./base.js";
import { FrameError, TransportError } from "./errors.js";
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
import { routeBatchTo, routeTo, singlePayload, splitRouted, type Peer } from "./routing.js";

/** A routed message: who sent it, plus the decoded message or the reason it could not be decoded. */
export type RoutedMessage<T> = Received<T> & { peer: Peer };

/** Everything one routed ZeroMQ message carried (one message, or a batch's items), with who sent it. */
export type RoutedIncoming<T> = Incoming<T> & { peer: Peer };

export interface RouterOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded and replies encoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Bounds on a received batch (default BATCH_LIMITS); a larger one comes back refused. */
  batchLimits?: BatchLimits;
  /**
   * ZMQ_ROUTER_MANDATORY. Default true: a reply to a peer whose queue is full waits instead of being
   * silently dropped, and a reply to a vanished peer rejects with TransportError "UNROUTABLE".
   * false restores libzmq's default (drop silently).
   */
  mandatory?: boolean;
  /**
   * ZMQ_ROUTER_HANDOVER. Default false (libzmq's): a peer connecting with a routing id already in use is
   * ignored. true: it takes the id over, and replies go to it (a client that reconnects keeps its replies).
   */
  handover?: boolean;
}

/**
 * Shared by Router and RoutedDealer: both receive `[route…, ("",) payload]` or a batch
 * `[route…, ("",) marker, batch]` (docs/wire.md, "Batches") and reply in the same shape.
 */
abstract class RoutedSocket<T, S extends zmq.Router | zmq.Dealer> extends ReceivingSocket<S, RoutedMessage<T>> {
  protected constructor(
    socket: S,
    protected readonly codec: Codec<T>,
    private readonly batchLimits: BatchLimits | undefined,
  ) {
    super(socket);
  }

  /**
   * The next message with its peer (a batch's items one at a time), or undefined once closed. Bad frames
   * or bytes come back as `ok: false`. A server answering batches wants receiveMany() instead.
   */
  async receive(): Promise<RoutedMessage<T> | undefined> {
    const held = this.takeBacklog();
    if (held !== undefined) return held;
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const { peer, body } = splitRouted(frames);
    if (!isBatch(body)) return Object.assign(this.single(frames, body), { peer });
    const items = flatten(decodeBatch(this.codec, body[1]!, frames, this.counters, this.batchLimits));
    for (const item of items) (item as RoutedMessage<T>).peer = peer;
    return this.handOut(items as RoutedMessage<T>[]);
  }

  /** Everything the next ZeroMQ message carried, with its peer: one message, or a batch's items in order. */
  async receiveMany(): Promise<RoutedIncoming<T> | undefined> {
    const held = this.drainBacklog();
    if (held.length > 0) {
      return { batch: true, items: held, refused: undefined, frames: held[0]!.frames, peer: held[0]!.peer };
    }
    const frames = await this.receiveFrames();
    if (frames === undefined) return undefined;
    const { peer, body } = splitRouted(frames);
    const incoming = isBatch(body)
      ? decodeBatch(this.codec, body[1]!, frames, this.counters, this.batchLimits)
      : incomingSingle(this.single(frames, body));
    return Object.assign(incoming, { peer });
  }

  private single(frames: Buffer[], body: Buffer[]): Received<T> {
    const payload = singlePayload(body);
    return payload instanceof FrameError
      ? badFrames<T>(frames, payload, this.counters) // counts the body's frames, not the routing ones
      : decodeFrame(this.codec, payload, frames, this.counters);
  }

  /** Encodes `message` and sends it to `peer`, with or without the delimiter as the peer used. */
  reply(peer: Peer, message: T): Promise<void> {
    return this.sendFrames(routeTo(peer, this.codec.encode(message)));
  }

  /** Sends already-encoded bytes to `peer` (for raw services, or bytes encoded elsewhere). */
  replyBytes(peer: Peer, payload: Uint8Array): Promise<void> {
    return this.sendFrames(routeTo(peer, payload));
  }

  /** Sends a batch frame (see BatchWriter) carrying `messages` replies to `peer`, after the marker frame. */
  replyBatchBytes(peer: Peer, batch: Uint8Array, messages = 1): Promise<void> {
    return this.sendFrames(routeBatchTo(peer, batch), messages);
  }
}

/**
 * A ROUTER: serves REQ peers (`[id, "", payload]`) and bare DEALER peers (`[id, payload]`) alike, and
 * answers each in the shape it used.
 */
export class Router<T = Envelope> extends RoutedSocket<T, zmq.Router> {
  private readonly mandatory: boolean;
  /** The caller's sendTimeout (ms, -1 = wait forever); with `mandatory` this class enforces it itself. */
  private readonly replyTimeout: number;
  private immediateSends = 0;

  constructor(...[options = {}]: OptionsFor<T, RouterOptions<T>>) {
    const mandatory = options.mandatory ?? true;
    const { sendTimeout = -1, ...rest } = options;
    // With mandatory, libzmq's "writable" means "some peer has room", not "this peer has room": zeromq.js
    // waiting on it hangs forever for a vanished peer when no other peer is writable, and fails at once
    // with EAGAIN for a full peer when another one is. So the socket never waits (sendTimeout 0) and
    // sendFrames() below does the waiting, per peer.
    const socketOptions = mandatory
      ? zmqOptions(rest, { mandatory, sendTimeout: 0 })
      : zmqOptions(options, { mandatory });
    super(createSocket(zmq.Router, socketOptions), codecOrDefault(options.codec), options.batchLimits);
    this.mandatory = mandatory;
    this.replyTimeout = sendTimeout;
  }

  /**
   * With `mandatory`: a reply to a peer that is gone rejects at once with "UNROUTABLE"; a reply to a peer
   * whose queue is full waits until it has room (up to `sendTimeout`, then "TIMEOUT"), however the
   * other peers are doing.
   */
  protected override async sendFrames(frames: Array<Uint8Array | string>, messages = 1): Promise<void> {
    if (!this.mandatory) return super.sendFrames(frames, messages);
    const deadline = this.replyTimeout < 0 ? Infinity : performance.now() + this.replyTimeout;
    for (let attempt = 0; ; attempt++) {
      let waitMs = 0;
      if (attempt > 0) {
        // EAGAIN: the peer exists but its queue is full.
        const remaining = deadline - performance.now();
        if (remaining <= 0)
          throw new TransportError("TIMEOUT", `send: the peer's queue stayed full for ${this.replyTimeout} ms`);
        const sliceMs = Math.max(1, Math.ceil(Math.min(remaining, MAX_WAIT_SLICE_MS)));
        // No peer has room: let libzmq retry the send when a pipe drains (a slice at a time, in case this
        // peer vanishes meanwhile). Others have room: that event says nothing about this peer, so back off.
        if (!this.socket.writable) waitMs = sliceMs;
        else await new Promise((resolve) => setTimeout(resolve, Math.min(sliceMs, 2 ** Math.min(attempt - 1, 2))));
      }
      try {
        if (waitMs > 0) this.socket.sendTimeout = waitMs;
        await this.socket.send(frames);
      } catch (cause) {
        const error = this.sendError(cause);
        if (error.code === "TIMEOUT") continue;
        throw error; // UNROUTABLE (peer gone), CLOSED, …
      } finally {
        if (waitMs > 0 && !this.socket.closed) this.socket.sendTimeout = 0;
      }
      this.counters.sent += messages;
      // With sendTimeout 0 every send resolves synchronously; let timers and I/O run now and then.
      if (++this.immediateSends % SENDS_BETWEEN_YIELDS === 0) await new Promise((resolve) => setImmediate(resolve));
      return;
    }
  }
}

/** A body of `[marker, batch]` (docs/wire.md, "Batches"). */
function isBatch(body: Buffer[]): boolean {
  return body.length === 2 && isBatchMarker(body[0]!);
}

const SENDS_BETWEEN_YIELDS = 512;
const MAX_WAIT_SLICE_MS = 100;

export interface RoutedDealerOptions<T = Envelope> extends SocketOptions {
  /** How payloads are decoded and replies encoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Bounds on a received batch (default BATCH_LIMITS); a larger one comes back refused. */
  batchLimits?: BatchLimits;
}

/**
 * A DEALER that receives ROUTER-shaped messages: the worker end of a ROUTER↔DEALER proxy. It sees the
 * routing envelope the front ROUTER added and replies with it, so the front routes the reply home.
 */
export class RoutedDealer<T = Envelope> extends RoutedSocket<T, zmq.Dealer> {
  constructor(...[options]: OptionsFor<T, RoutedDealerOptions<T>>) {
    super(createSocket(zmq.Dealer, zmqOptions(options)), codecOrDefault(options?.codec), options?.batchLimits);
  }
}
