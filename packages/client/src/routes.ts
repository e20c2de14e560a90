// The socket side of the pipelined client: one DEALER for one server, or, for several servers, one ROUTER
// that addresses each server by a routing id of our choosing (the zguide's Freelance pattern, model three):
// the client decides which server gets each request, so it can route around one that failed and come back
// to it later, on a single socket with one send and one receive loop.
import type { BatchLimits, Codec, Envelope } from "@zpb/proto";
import { Dealer, Router, type Incoming, type Peer, type SocketOptions } from "@zpb/transport";
import { ServerChoice, type BackOff } from "./server-choice.js";

/** Where a pipelined client's requests go and its replies come from. */
export interface Route<T> {
  /** Sends `message` to one server, preferring any but `avoid`; resolves to that server's index. */
  send(message: T, avoid?: number): Promise<number>;
  /** Sends a batch frame (see BatchWriter) carrying `messages` requests to one server, like send(). */
  sendBatchBytes(batch: Uint8Array, messages: number, avoid?: number): Promise<number>;
  /** Everything the next reply message carried (one reply or a batch's), or undefined once closed. */
  receiveMany(): Promise<Incoming<T> | undefined>;
  /** Starts connecting (after the caller has attached what watches the socket's events). */
  connect(): void;
  /** A request sent to `server` failed (timed out, or was refused as unavailable): route around it for a while. */
  failed(server: number): void;
  close(): void;
}

export interface RouteOptions<T> {
  codec: Codec<T>;
  delimiter: boolean;
  socket: SocketOptions;
  backOff: BackOff;
  /** Bounds on a received batch of replies. */
  batchLimits: BatchLimits;
}

/** One server, one DEALER: libzmq queues requests until the connection is up. */
export class DealerRoute<T = Envelope> implements Route<T> {
  /** The socket (a CURVE guard watches its handshakes). */
  readonly dealer: Dealer<T>;

  constructor(
    private readonly endpoint: string,
    options: RouteOptions<T>,
  ) {
    this.dealer = new Dealer<T>({
      ...options.socket,
      codec: options.codec,
      delimiter: options.delimiter,
      batchLimits: options.batchLimits,
    });
  }

  connect(): void {
    this.dealer.connect(this.endpoint);
  }

  async send(message: T): Promise<number> {
    await this.dealer.send(message);
    return 0;
  }

  async sendBatchBytes(batch: Uint8Array, messages: number): Promise<number> {
    await this.dealer.sendBatchBytes(batch, messages);
    return 0;
  }

  receiveMany(): Promise<Incoming<T> | undefined> {
    return this.dealer.receiveMany();
  }

  failed(): void {}

  close(): void {
    this.dealer.close();
  }
}

/**
 * Several servers, one ROUTER that names each connection (ZMQ_CONNECT_ROUTING_ID) so the client picks the
 * server of each request. libzmq's connection events keep the choice to servers that are connected: a server
 * that went away gets no requests until its connection is back (libzmq reconnects on its own).
 */
export class ServersRoute<T = Envelope> implements Route<T> {
  private readonly router: Router<T>;
  private readonly peers: Peer[];
  private readonly indexOf = new Map<string, number>();
  private readonly choice: ServerChoice;

  constructor(
    private readonly endpoints: readonly string[],
    options: RouteOptions<T>,
  ) {
    this.router = new Router<T>({
      ...options.socket,
      // Not ZMQ_IMMEDIATE: libzmq then ignores the connect routing ids. A request queued to a server that is
      // still connecting is delivered once it is up; the connection events below keep requests off one that is down.
      immediate: false,
      mandatory: true,
      codec: options.codec,
      batchLimits: options.batchLimits,
    });
    this.choice = new ServerChoice(endpoints.length, options.backOff);
    const events = this.router.socket.events;
    events.on("disconnect", (event) => this.onConnection(event.address, false));
    events.on("handshake", (event) => this.onConnection(event.address, true));
    this.peers = endpoints.map((_, index) => {
      // Routing ids are ours to choose when connecting (ZMQ_CONNECT_ROUTING_ID); a leading zero byte is reserved.
      const routingId = `zpb-server-${index}`;
      this.indexOf.set(routingId, index);
      const identity = Buffer.from(routingId);
      return { identity, route: [identity], delimited: options.delimiter };
    });
  }

  connect(): void {
    withoutNextConnectWarning(() => {
      for (const [index, endpoint] of this.endpoints.entries())
        this.router.socket.connect(endpoint, { routingId: this.peers[index]!.identity.toString() });
    });
  }

  async send(message: T, avoid?: number): Promise<number> {
    const server = this.choice.next(avoid);
    await this.router.reply(this.peers[server]!, message);
    return server;
  }

  async sendBatchBytes(batch: Uint8Array, messages: number, avoid?: number): Promise<number> {
    const server = this.choice.next(avoid);
    await this.router.replyBatchBytes(this.peers[server]!, batch, messages);
    return server;
  }

  failed(server: number): void {
    this.choice.failed(server);
  }

  close(): void {
    this.router.close();
  }

  async receiveMany(): Promise<Incoming<T> | undefined> {
    const incoming = await this.router.receiveMany();
    if (incoming !== undefined) {
      const server = this.indexOf.get(incoming.peer.identity.toString());
      if (server !== undefined) this.choice.answered(server);
    }
    return incoming;
  }

  // Events name the endpoint as libzmq resolved it; an endpoint given by host name is matched by its port.
  private onConnection(address: string, connected: boolean): void {
    let server = this.endpoints.indexOf(address);
    if (server < 0) {
      const port = address.slice(address.lastIndexOf(":"));
      const samePort = this.endpoints.flatMap((e, i) => (e.endsWith(port) ? [i] : []));
      if (samePort.length !== 1) return;
      server = samePort[0]!;
    }
    this.choice.connection(server, connected);
  }
}

/**
 * zeromq.js warns "Socket option will not take effect until next connect/bind" when Router.connect() sets
 * ZMQ_CONNECT_ROUTING_ID on a socket that is already connected; for that option taking effect at the next
 * connect is the point (it names the connection being made). Silences that one warning around `connect`.
 */
function withoutNextConnectWarning<R>(connect: () => R): R {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(warning).includes("will not take effect until next connect")) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return connect();
  } finally {
    process.emitWarning = emitWarning;
  }
}
