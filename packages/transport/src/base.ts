import { setTimeout as delay } from "node:timers/promises";
import type * as zmq from "zeromq";
import { parseEndpoint } from "./endpoint.js";
import { TransportError } from "./errors.js";
import { newCounters, type SocketCounters } from "./received.js";

/** The longest pause between tries of a send that zeromq.js failed spuriously (see isSpuriousEagain). */
const MAX_SEND_RETRY_MS = 50;

/**
 * What every zpb socket shares: bind/connect/close, counters, and a receive loop that ends quietly when
 * the socket is closed. Subclasses turn raw frames into typed values.
 */
export abstract class BaseSocket<S extends zmq.Socket> {
  /** Counts of messages received, sent, and rejected for bad frames or undecodable payloads. */
  readonly counters: SocketCounters = newCounters();

  protected constructor(
    /** The underlying zeromq socket, for options this class does not wrap (use with care). */
    readonly socket: S,
  ) {}

  /** Binds and resolves to the endpoint actually bound (`tcp://127.0.0.1:*` picks a free port). */
  async bind(endpoint: string): Promise<string> {
    try {
      await this.socket.bind(endpoint);
    } catch (cause) {
      throw TransportError.from(cause, `bind ${endpoint}`);
    }
    return this.socket.lastEndpoint ?? endpoint;
  }

  /**
   * Connects to a peer; ZeroMQ connects in the background and reconnects on its own. A malformed endpoint
   * (no transport, no port, port outside 1-65535) throws TransportError "INVALID_ENDPOINT" at once.
   */
  connect(endpoint: string): void {
    parseEndpoint(endpoint);
    try {
      this.socket.connect(endpoint);
    } catch (cause) {
      throw TransportError.from(cause, `connect ${endpoint}`);
    }
  }

  /** Disconnects from one endpoint given to connect(). */
  disconnect(endpoint: string): void {
    this.socket.disconnect(endpoint);
  }

  /** Closes the socket: a pending receive ends the iteration, unsent messages linger up to `linger` ms. */
  close(): void {
    if (!this.socket.closed) this.socket.close();
  }

  /** True once close() has run. */
  get closed(): boolean {
    return this.socket.closed;
  }

  /** Sends frames as one multipart message carrying `messages` messages (a batch's item count), counted; socket errors become TransportError. */
  protected async sendFrames(frames: Array<Uint8Array | string>, messages = 1): Promise<void> {
    for (let retry = 0; ; retry++) {
      try {
        await (this.socket as unknown as zmq.Writable).send(frames);
        break;
      } catch (cause) {
        if (!this.isSpuriousEagain(cause)) throw this.sendError(cause);
        await delay(Math.min(2 ** retry, MAX_SEND_RETRY_MS));
      }
    }
    this.counters.sent += messages;
  }

  /**
   * zeromq.js sends once ZMQ_EVENTS says the socket is writable; if the only pipe goes away in between (a
   * peer whose handshake fails, e.g. a plaintext REQ against a CURVE server, drops its pipe at once), the
   * send fails with EAGAIN though no send timeout was set. Without a timeout that is not a timeout: the
   * send waits and tries again, as a blocking libzmq send would, until it goes through or the socket closes.
   */
  private isSpuriousEagain(cause: unknown): boolean {
    if ((cause as { code?: string } | null)?.code !== "EAGAIN" || this.socket.closed) return false;
    return (this.socket as unknown as zmq.Writable).sendTimeout === -1;
  }

  /**
   * A failed send as a TransportError; closing rejects a pending send with EAGAIN, which is "CLOSED", not "TIMEOUT".
   */
  protected sendError(cause: unknown): TransportError {
    if (this.socket.closed && !(cause instanceof TransportError)) {
      return new TransportError("CLOSED", "send: the socket was closed before the message was queued", { cause });
    }
    return TransportError.from(cause, "send");
  }

  /**
   * Receives one multipart message and maps it, or undefined once the socket is closed: the hot path of a
   * receive loop, one promise per message (`.then` on zeromq's own) where an async wrapper adds another.
   */
  protected receiveMapped<R>(map: (frames: Buffer[]) => R): Promise<R | undefined> {
    if (this.socket.closed) return Promise.resolve(undefined);
    return (this.socket as unknown as zmq.Readable).receive().then(map, (cause: unknown) => {
      if (this.socket.closed) return undefined;
      throw TransportError.from(cause, "receive");
    });
  }

  /** Receives one multipart message, or undefined once the socket is closed. */
  protected async receiveFrames(): Promise<Buffer[] | undefined> {
    if (this.socket.closed) return undefined;
    try {
      return await (this.socket as unknown as zmq.Readable).receive();
    } catch (cause) {
      // Closing a socket rejects its pending receive with EAGAIN: that is the end of the stream, not a failure.
      if (this.socket.closed) return undefined;
      throw TransportError.from(cause, "receive");
    }
  }
}

/** A socket that receives typed values of R; iterating it receives until the socket is closed. */
export abstract class ReceivingSocket<S extends zmq.Socket, R> extends BaseSocket<S> {
  /** Items of a received batch that receive() has not handed out yet, from backlogHead on. */
  private backlog: R[] = [];
  private backlogHead = 0;

  /** The next message, or undefined once the socket is closed. Bad input comes back as a value, never a throw. */
  abstract receive(): Promise<R | undefined>;

  /** The next item left over from a batch, if any (receive() hands a batch out one item at a time). */
  protected takeBacklog(): R | undefined {
    if (this.backlogHead >= this.backlog.length) return undefined;
    const item = this.backlog[this.backlogHead]!;
    if (++this.backlogHead === this.backlog.length) {
      this.backlog = [];
      this.backlogHead = 0;
    }
    return item;
  }

  /** Returns the first of `items` and keeps the rest for the following receive() calls. */
  protected handOut(items: R[]): R {
    if (items.length > 1) {
      this.backlog = items;
      this.backlogHead = 1;
    }
    return items[0]!;
  }

  /** Takes every item receive() has not handed out yet (receiveMany() returns them first). */
  protected drainBacklog(): R[] {
    const rest = this.backlog.slice(this.backlogHead);
    this.backlog = [];
    this.backlogHead = 0;
    return rest;
  }

  /** Receives until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<R, void, undefined> {
    for (let m = await this.receive(); m !== undefined; m = await this.receive()) yield m;
  }
}
