// The front of a server whose workers may live on other hosts (`--backend`): the zguide's load-balancing
// broker with credit (its "Paranoid Pirate" heartbeats), in JS on the main thread, because it must know
// which requests each host holds to answer them when that host is lost — libzmq's proxy cannot.
//
//  clients ──▶ front ROUTER ─┬─▶ local DEALER (inproc) ──▶ this process's worker threads
//                            └─▶ backend ROUTER (tcp, `--backend`) ──▶ joined hosts (`--join`), their threads
//
// Each request gets a tag that replaces the client's routing id on the way to a worker (`[tag, ("",) payload]`:
// the shape workers already answer), so the reply comes back to the broker, which routes it home. A target
// (the local pool, or one joined host) takes at most `credit` requests per worker thread; when every target
// is full the broker stops reading the front, and backpressure reaches the clients through libzmq's queues.
// Joined hosts and the broker exchange heartbeats; a host silent for HEARTBEAT_LIVENESS intervals, or whose
// connection is gone, is dropped, and every request it held is answered CODE_UNAVAILABLE ("may have run",
// so a client retries it only when it is safe: see @zpb/client's `retries`). A host that comes back sends
// `ready` again and is used again.
import type { CurveServerSocketOptions } from "@zpb/transport";
import * as zmq from "zeromq";
import { emptyFrontCounters, type FrontCounters } from "../front-events.js";
import { ServerError } from "../errors.js";
import type { Logger } from "../log.js";
import { ReplyDrops } from "../reply-drops.js";
import type { ServerSettings } from "../settings.js";
import { decodeJoinMessage, encodeJoinMessage, HEARTBEAT_LIVENESS, JOIN_PROTOCOL_VERSION } from "./join-protocol.js";
import { receiveOrEnd, sleep } from "./receive.js";
import { SendQueue } from "./send-queue.js";

/** The server settings the broker uses. */
export type BrokerSettings = Pick<
  ServerSettings,
  | "bind"
  | "workers"
  | "credit"
  | "hostHeartbeat"
  | "linger"
  | "maxMessageSize"
  | "replyHighWaterMark"
  | "requestHighWaterMark"
>;

/** The CODE_UNAVAILABLE reply to a request (given its payload frame), in the handler's schema (unavailable.ts). */
export type UnavailableReply = (payload: Buffer, message: string) => Uint8Array;

/** A joined host as the broker sees it. */
export interface JoinedHost {
  /** Its connection's routing id, in hex. */
  id: string;
  workers: number;
  /** Requests it holds now. */
  holding: number;
  /** Requests it answered. */
  answered: number;
  /** false once it said `bye`: it gets nothing new. */
  accepting: boolean;
}

/** What the broker counts. */
export interface BrokerStats {
  /** Requests sent to this process's workers / to joined hosts. */
  local: number;
  remote: number;
  /** Joined hosts lost (silent or disconnected), and the requests they held, answered CODE_UNAVAILABLE. */
  hostsLost: number;
  answeredForLostHosts: number;
  /** Requests refused CODE_UNAVAILABLE because the server was stopping. */
  refusedStopping: number;
  /** Replies whose request was no longer held (from a host declared lost before it answered). */
  late: number;
  hosts: JoinedHost[];
}

interface Target {
  id: string;
  /** Routing id on the backend ROUTER; undefined for the local pool. */
  identity: Buffer | undefined;
  workers: number;
  capacity: number;
  holding: Set<number>;
  answered: number;
  lastSeen: number;
  accepting: boolean;
}

interface Held {
  client: Buffer;
  /** Every frame after the client's routing id: `[("",) payload]` (more routing frames through proxies). */
  body: Buffer[];
  target: Target;
}

const TAG_BYTES = 6;
let instances = 0;

/** See the file comment. Shape-compatible with the server's proxy front (bind, start, stop). */
export class Broker {
  /**
   * Replies dropped (slow consumers, clients gone). The broker's socket is not watched for connection
   * events: those stay at 0 (README, "Hardening").
   */
  readonly counters: FrontCounters = emptyFrontCounters();
  readonly bound: string[] = [];
  /** Where this process's worker threads connect. */
  readonly backendAddress: string;
  /** The tcp endpoint hosts join, as bound. */
  joinEndpoint = "";
  private readonly front: zmq.Router;
  private readonly local: zmq.Dealer;
  private readonly remote: zmq.Router;
  private readonly frontOut: SendQueue;
  private readonly localOut: SendQueue;
  private readonly remoteOut: SendQueue;
  private readonly localTarget: Target | undefined;
  private readonly joined = new Map<string, Target>();
  private readonly held = new Map<number, Held>();
  private readonly parked: Buffer[][] = [];
  private nextTag = 0;
  private wake: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;
  private closed = false;
  private readonly counts = { local: 0, remote: 0, hostsLost: 0, answeredForLostHosts: 0, refusedStopping: 0, late: 0 };
  private loops: Promise<unknown> | undefined;

  readonly name = "main";

  constructor(
    private readonly settings: BrokerSettings,
    /** Where hosts join (tcp), bound by bind(). */
    private readonly backend: string,
    private readonly logger: Logger,
    private readonly unavailableReply: UnavailableReply,
    /** Extra options for the backend ROUTER (link-security.ts: CURVE on the host-to-host link). */
    backendSocket: ConstructorParameters<typeof zmq.Router>[0] = {},
    /** The server's CURVE options for the clients' ROUTER, as the proxy fronts get them. */
    frontSecurity: CurveServerSocketOptions | undefined = undefined,
  ) {
    const { linger, maxMessageSize } = settings;
    // Mandatory with no send timeout, which is safe here (no zmq_proxy): a reply to a client that left or to
    // one past --reply-hwm fails at once, is dropped and counted (reply-drops.ts), and holds up no other.
    this.front = new zmq.Router({
      linger,
      maxMessageSize,
      sendHighWaterMark: settings.replyHighWaterMark,
      mandatory: true,
      sendTimeout: 0,
      ...frontSecurity,
    });
    this.local = new zmq.Dealer({ linger, sendHighWaterMark: settings.requestHighWaterMark, receiveHighWaterMark: 0 });
    this.remote = new zmq.Router({
      linger: 0,
      maxMessageSize,
      // Mandatory, which is safe here (no zmq_proxy): a send to a host whose connection is gone fails at once.
      mandatory: true,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      heartbeatInterval: settings.hostHeartbeat,
      heartbeatTimeout: settings.hostHeartbeat * HEARTBEAT_LIVENESS,
      ...backendSocket,
    });
    this.backendAddress = `inproc://zpb-broker-${process.pid}-${++instances}`;
    const drops = new ReplyDrops(this.counters, "main", logger, settings.replyHighWaterMark);
    this.frontOut = new SendQueue(this.front, (error, frames) => drops.record(error, frames));
    this.localOut = new SendQueue(this.local, () => {});
    this.remoteOut = new SendQueue(this.remote, (_error, frames) => {
      const host = this.joined.get((frames[0] as Buffer).toString("hex"));
      if (host !== undefined) this.lose(host, "its connection is gone");
    });
    if (settings.workers > 0) {
      this.localTarget = {
        id: "local",
        identity: undefined,
        workers: settings.workers,
        capacity: settings.workers * settings.credit,
        holding: new Set(),
        answered: 0,
        lastSeen: Number.POSITIVE_INFINITY,
        accepting: true,
      };
    }
  }

  async bind(): Promise<void> {
    for (const endpoint of this.settings.bind) {
      await this.front.bind(endpoint);
      this.bound.push(this.front.lastEndpoint ?? endpoint);
    }
    await this.local.bind(this.backendAddress);
    await this.remote.bind(this.backend);
    this.joinEndpoint = this.remote.lastEndpoint ?? this.backend;
  }

  /** Starts routing; `onFailure` hears of a loop failing on its own. */
  start(_forwarder: unknown, _logger: unknown, onFailure: (error: ServerError) => void): void {
    const fail = (cause: unknown) => {
      const text = cause instanceof Error ? cause.message : String(cause);
      if (!this.closed) onFailure(new ServerError("PROXY", `the ${this.name} broker failed: ${text}`, { cause }));
    };
    this.loops = Promise.all([
      this.frontLoop().catch(fail),
      this.localLoop().catch(fail),
      this.remoteLoop().catch(fail),
    ]);
    this.heartbeat = setInterval(() => this.checkHosts(), this.settings.hostHeartbeat);
  }

  /** The counters and the joined hosts. */
  stats(): BrokerStats {
    return {
      ...this.counts,
      hosts: [...this.joined.values()].map((t) => ({
        id: t.id,
        workers: t.workers,
        holding: t.holding.size,
        answered: t.answered,
        accepting: t.accepting,
      })),
    };
  }

  /**
   * Stops: new requests are refused CODE_UNAVAILABLE; requests joined hosts still hold get up to `drainMs`
   * to be answered (then are answered CODE_UNAVAILABLE); then every socket closes.
   */
  async stop(drainMs = 0): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    this.wake?.();
    for (const frames of this.parked.splice(0)) this.refuse(frames, "the server is stopping; the request was not run");
    const deadline = performance.now() + drainMs;
    while (this.held.size > 0 && performance.now() < deadline) await sleep(10);
    for (const [tag, held] of [...this.held]) {
      this.held.delete(tag);
      this.answerUnavailable(held, "the server stopped before this request was answered; it may have run");
    }
    await sleep(20); // let the outboxes hand the last replies to libzmq (linger delivers them)
    this.closed = true;
    clearInterval(this.heartbeat);
    this.front.close();
    this.local.close();
    this.remote.close();
    await this.loops;
  }

  // ── requests in ──────────────────────────────────────────────────────────────────────────────────────

  private async frontLoop(): Promise<void> {
    for (;;) {
      // Read the front only while some target has credit: otherwise requests wait in libzmq's queues.
      while (!this.stopping && (this.parked.length > 0 || this.pick() === undefined)) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
      const frames = await receiveOrEnd(this.front);
      if (frames === undefined) return;
      if (frames.length < 2) continue; // nothing to answer: no payload
      if (this.stopping) this.refuse(frames, "the server is stopping; the request was not run");
      else this.dispatch(frames);
    }
  }

  private dispatch(frames: Buffer[]): void {
    const target = this.pick();
    if (target === undefined) {
      this.parked.push(frames);
      return;
    }
    const tag = this.nextTag++;
    const tagFrame = Buffer.allocUnsafe(TAG_BYTES);
    tagFrame.writeUIntBE(tag, 0, TAG_BYTES);
    const body = frames.slice(1);
    this.held.set(tag, { client: frames[0]!, body, target });
    target.holding.add(tag);
    if (target.identity === undefined) {
      this.counts.local++;
      this.localOut.send([tagFrame, ...body]);
    } else {
      this.counts.remote++;
      this.remoteOut.send([target.identity, tagFrame, ...body]);
    }
  }

  /** The accepting target with the most free credit (ties: the local pool first, then joined order). */
  private pick(): Target | undefined {
    let best: Target | undefined;
    let bestFree = 0;
    const consider = (t: Target) => {
      const free = t.capacity - t.holding.size;
      if (t.accepting && free > bestFree) {
        best = t;
        bestFree = free;
      }
    };
    if (this.localTarget !== undefined) consider(this.localTarget);
    for (const t of this.joined.values()) consider(t);
    return best;
  }

  // Credit came back, or a host joined: dispatch what waited, then let the front loop read again.
  private creditReturned(): void {
    while (this.parked.length > 0 && this.pick() !== undefined) this.dispatch(this.parked.shift()!);
    this.wake?.();
  }

  // ── replies back ─────────────────────────────────────────────────────────────────────────────────────

  private async localLoop(): Promise<void> {
    for (;;) {
      const frames = await receiveOrEnd(this.local);
      if (frames === undefined) return;
      this.replied(frames);
    }
  }

  private async remoteLoop(): Promise<void> {
    for (;;) {
      const frames = await receiveOrEnd(this.remote);
      if (frames === undefined) return;
      const identity = frames[0]!;
      const id = identity.toString("hex");
      const host = this.joined.get(id);
      if (host !== undefined) host.lastSeen = performance.now();
      if (frames.length === 2) this.control(identity, id, host, frames[1]!);
      else if (frames.length > 2) this.replied(frames.slice(1));
    }
  }

  // `[tag, …body]` from a worker: route the body home. The tag is honoured whichever connection it came
  // on, so a host that reconnected still delivers what it finished.
  private replied(frames: Buffer[]): void {
    const tagFrame = frames[0]!;
    const tag = tagFrame.length === TAG_BYTES ? tagFrame.readUIntBE(0, TAG_BYTES) : -1;
    const held = this.held.get(tag);
    if (held === undefined) {
      this.counts.late++;
      return;
    }
    this.held.delete(tag);
    held.target.holding.delete(tag);
    held.target.answered++;
    this.frontOut.send([held.client, ...frames.slice(1)]);
    if (!held.target.accepting && held.target.holding.size === 0) this.joined.delete(held.target.id);
    this.creditReturned();
  }

  private control(identity: Buffer, id: string, host: Target | undefined, frame: Buffer): void {
    const message = decodeJoinMessage(frame);
    if (message === undefined) return;
    if (message.type === "ready") {
      if (message.version !== JOIN_PROTOCOL_VERSION) {
        this.logger.warn(
          { host: id, version: message.version },
          "a host with another join protocol version was refused",
        );
        return;
      }
      if (host !== undefined) this.lose(host, "it joined again on the same connection");
      const capacity = message.workers * this.settings.credit;
      this.joined.set(id, {
        id,
        identity,
        workers: message.workers,
        capacity,
        holding: new Set(),
        answered: 0,
        lastSeen: performance.now(),
        accepting: !this.stopping,
      });
      this.logger.info(
        { host: id, workers: message.workers, hosts: this.joined.size },
        `a host joined with ${message.workers} worker(s) (credit ${capacity}); ${this.joined.size} joined`,
      );
      this.creditReturned();
    } else if (message.type === "bye" && host !== undefined) {
      host.accepting = false;
      if (host.holding.size === 0) this.joined.delete(id);
      this.logger.info({ host: id }, "a joined host is leaving");
    } else if (message.type === "heartbeat" && host === undefined) {
      // A host we declared lost is still talking: have it start over.
      this.remoteOut.send([identity, encodeJoinMessage({ type: "rejoin" })]);
    }
  }

  // ── liveness ─────────────────────────────────────────────────────────────────────────────────────────

  private checkHosts(): void {
    const now = performance.now();
    const limit = this.settings.hostHeartbeat * HEARTBEAT_LIVENESS;
    const beat = encodeJoinMessage({ type: "heartbeat" });
    for (const host of [...this.joined.values()]) {
      if (now - host.lastSeen > limit) this.lose(host, `no heartbeat for ${Math.round(now - host.lastSeen)} ms`);
      else this.remoteOut.send([host.identity!, beat]);
    }
  }

  /** Drops a host and answers every request it held CODE_UNAVAILABLE. */
  private lose(host: Target, why: string): void {
    if (this.joined.get(host.id) !== host) return;
    this.joined.delete(host.id);
    host.accepting = false;
    this.counts.hostsLost++;
    const holding = [...host.holding];
    host.holding.clear();
    for (const tag of holding) {
      const held = this.held.get(tag);
      if (held === undefined) continue;
      this.held.delete(tag);
      this.counts.answeredForLostHosts++;
      this.answerUnavailable(held, "the worker host holding this request was lost; it may have run");
    }
    this.logger.warn(
      { host: host.id, why, answered: holding.length, hosts: this.joined.size },
      `lost a joined host (${why}); its ${holding.length} request(s) answered CODE_UNAVAILABLE; ${this.joined.size} joined`,
    );
    this.creditReturned();
  }

  private answerUnavailable(held: Held, message: string): void {
    const payload = held.body.at(-1)!;
    this.frontOut.send([held.client, ...held.body.slice(0, -1), this.unavailableReply(payload, message)]);
  }

  private refuse(frames: Buffer[], message: string): void {
    this.counts.refusedStopping++;
    const payload = frames.at(-1)!;
    this.frontOut.send([...frames.slice(0, -1), this.unavailableReply(payload, message)]);
  }
}
