// A service's front: the ROUTER its clients connect to, the backend DEALER its workers connect to (inproc),
// and the forwarding between them. Built on zeromq's own sockets: nothing here reads or writes a message.
import type { CurveServerSocketOptions } from "@zpb/transport";
import * as zmq from "zeromq";
import { ServerError } from "./errors.js";
import { emptyFrontCounters, FrontEvents, type FrontCounters } from "./front-events.js";
import { startForwarding, type Forwarding } from "./forwarding.js";
import { ReplyDrops } from "./reply-drops.js";
import type { Logger } from "./log.js";
import type { ServerSettings } from "./settings.js";

let instances = 0;
/** Whether fronts made now get a socket monitor (see Front.start); false once a server with monitors stopped. */
let monitorsAllowed = false;

/**
 * Lets the next server this process starts watch its fronts' connections (accept and handshake failures,
 * disconnects). Only zpb-server's CLI asks: it runs one server per process, the one case measured safe (see
 * Front.start); a library user who starts several servers in one process gets no connection counters.
 */
export function watchFrontConnections(): void {
  monitorsAllowed = true;
}

/**
 * What the server needs of a service's front: the proxy front below, or, for a server that worker hosts
 * join, the broker (scale/broker.ts).
 */
export interface ServiceFront {
  readonly name: string;
  readonly bound: string[];
  readonly backendAddress: string;
  bind(): Promise<void>;
  /** Connections accepted, refused and dropped, where the front watches them (see watchFrontConnections). */
  readonly counters: FrontCounters;
  start(kind: ServerSettings["forwarder"], logger: Logger, onFailure: (error: ServerError) => void): void;
  /** `drainMs`: how long requests still out at other hosts may take (the broker's). */
  stop(drainMs?: number): Promise<void>;
}

/** One front ROUTER, its backend DEALER, and the forwarder between them. */
export class Front implements ServiceFront {
  /** The endpoints bound (a `:0` or `:*` port shows the port the OS picked). */
  readonly bound: string[] = [];
  /** The inproc address the workers' DEALERs connect to. */
  readonly backendAddress: string;
  private readonly router: zmq.Router;
  private readonly backend: zmq.Dealer;
  private readonly replyHighWaterMark: number;
  /** Connections accepted, refused and dropped (main thread only). */
  readonly counters: FrontCounters = emptyFrontCounters();
  private forwarding: Forwarding | undefined;
  private events: FrontEvents | undefined;
  private stopped = false;

  constructor(
    /** Names the service ("main", "echo") in logs and in the workers. */
    readonly name: string,
    private readonly endpoints: readonly string[],
    settings: ServerSettings,
    /** CURVE server options (secret key, ZAP domain) when the server encrypts (see curve.ts). */
    security?: CurveServerSocketOptions,
  ) {
    this.router = new zmq.Router({
      ...security,
      // Not `mandatory`: with it, libzmq's proxy stops for good (EHOSTUNREACH) the first time a client leaves
      // before its reply arrives (`--forwarder js` turns it on: forwarding.ts). The send HWM bounds what a client that does not read makes us hold
      // (see the README, "Nothing lost" and "Hardening").
      mandatory: false,
      sendHighWaterMark: settings.replyHighWaterMark,
      linger: settings.linger,
      maxMessageSize: settings.maxMessageSize,
      // A client that reconnects with its routing id (or another peer claiming it) takes the id over and
      // gets the replies, instead of libzmq silently keeping the first holder.
      handover: true,
      heartbeatInterval: settings.heartbeatInterval,
      heartbeatTimeout: settings.heartbeatTimeout,
      handshakeInterval: settings.handshakeTimeout,
    });
    this.backend = new zmq.Dealer({
      // Requests wait here, per worker, when the workers are busy: the front backs off instead of dropping.
      sendHighWaterMark: settings.requestHighWaterMark,
      // The reply direction never blocks, so the proxy (one thread, both directions) cannot deadlock.
      receiveHighWaterMark: 0,
      linger: settings.linger,
    });
    this.backendAddress = `inproc://zpb-server-${process.pid}-${++instances}-${name}`;
    this.replyHighWaterMark = settings.replyHighWaterMark;
  }

  /** Binds the front's endpoints and the backend; throws ServerError SOCKET naming the endpoint that failed. */
  async bind(): Promise<void> {
    for (const endpoint of this.endpoints) {
      try {
        await this.router.bind(endpoint);
      } catch (cause) {
        const text = cause instanceof Error ? cause.message : String(cause);
        throw new ServerError("SOCKET", `cannot bind ${endpoint}: ${text}`, { cause });
      }
      this.bound.push(this.router.lastEndpoint ?? endpoint);
    }
    await this.backend.bind(this.backendAddress);
  }

  /** Starts forwarding; `onFailure` hears of it ending on its own (the front can no longer route). */
  start(kind: ServerSettings["forwarder"], logger: Logger, onFailure: (error: ServerError) => void): void {
    // The monitor must be set up before zmq_proxy takes the socket.
    // Only the CLI's one server per process is watched (watchFrontConnections). Measured here: a server
    // started after an earlier one in the same process had monitors received nothing at all under load, even
    // after the earlier one stopped and its monitors closed, and served normally without a monitor; zeromq.js
    // names a monitor's inproc endpoint after the Observer's address, which a new Observer can reuse.
    if (monitorsAllowed) this.events = new FrontEvents(this.router, this.counters, this.name, logger);
    const drops = new ReplyDrops(this.counters, this.name, logger, this.replyHighWaterMark);
    const forwarding = startForwarding(kind, this.router, this.backend, this.backendAddress, drops);
    this.forwarding = forwarding;
    forwarding.ended.then(
      () => {
        if (!this.stopped) onFailure(new ServerError("PROXY", `the ${this.name} proxy stopped on its own`));
      },
      (cause: unknown) => {
        const text = cause instanceof Error ? cause.message : String(cause);
        if (!this.stopped) onFailure(new ServerError("PROXY", `the ${this.name} proxy failed: ${text}`, { cause }));
      },
    );
  }

  /** Stops forwarding and closes both sockets. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    try {
      if (this.forwarding !== undefined) await this.forwarding.stop();
      if (!this.router.closed) this.router.close();
      if (!this.backend.closed) this.backend.close();
    } finally {
      // Closing the socket ends its monitor too; this covers a socket that never got to close.
      if (this.events !== undefined) monitorsAllowed = false;
      this.events?.close();
    }
  }
}

/**
 * Opens and binds the fronts the settings ask for (main, echo; `main` given: that front for the Envelope
 * service); on any failure closes them all and throws.
 */
export async function openFronts(
  settings: ServerSettings,
  security?: CurveServerSocketOptions,
  main?: ServiceFront,
): Promise<ServiceFront[]> {
  const fronts: ServiceFront[] = [];
  if (settings.bind.length > 0) fronts.push(main ?? new Front("main", settings.bind, settings, security));
  if (settings.echo !== false) fronts.push(new Front("echo", [settings.echo], settings, security));
  try {
    for (const front of fronts) await front.bind();
  } catch (cause) {
    await closeFronts(fronts);
    if (cause instanceof ServerError) throw cause;
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("SOCKET", `cannot start: ${text}`, { cause });
  }
  return fronts;
}

/** Stops every front (forwarding, then sockets). */
export async function closeFronts(fronts: readonly ServiceFront[], drainMs?: number): Promise<void> {
  await Promise.all(fronts.map((front) => front.stop(drainMs)));
}
