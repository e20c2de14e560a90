// A host that joins another server's pool (`zpb-server --join <endpoint> --workers N --handler …`): it
// binds nothing for clients; its worker threads serve requests the front's broker sends over one DEALER
// connection. The main thread relays between that connection and the threads (an inproc DEALER, as on the
// front), says `ready` with its thread count, heartbeats, and when the front falls silent for
// HEARTBEAT_LIVENESS intervals it reconnects on a fresh socket and says `ready` again (the zguide's Paranoid
// Pirate worker): a partition or a restarted front never leaves it stranded. A front that refuses this host
// (a ZAP refusal of its CURVE key, or the two ends disagreeing on security) is another matter: retrying
// cannot fix it, so the relay reports it (`onRefused`) and stops reconnecting (start-joiner.ts says why).
import { type HandshakeFailure, HandshakeWatch } from "@zpb/transport";
import * as zmq from "zeromq";
import type { Logger } from "../log.js";
import { decodeJoinMessage, encodeJoinMessage, HEARTBEAT_LIVENESS, JOIN_PROTOCOL_VERSION } from "./join-protocol.js";
import { receiveOrEnd, sleep } from "./receive.js";
import { SendQueue } from "./send-queue.js";

export interface UplinkOptions {
  /** The front's backend endpoint (its `--backend`). */
  join: string;
  /** Worker threads here (announced in `ready`). */
  workers: number;
  /** The host link's heartbeat interval (`hostHeartbeat`). */
  heartbeatMs: number;
  maxMessageSize: number;
  requestHighWaterMark: number;
  linger: number;
  /** Extra options for the connection to the front (link-security.ts: CURVE on the host-to-host link). */
  uplinkSocket?: ConstructorParameters<typeof zmq.Dealer>[0];
  logger: Logger;
  /**
   * Hears of a conclusive handshake failure with the front (libzmq's socket monitor: `handshake:error:auth`
   * when the front's ZAP handler refused this host's key, `handshake:error:protocol` when one end uses CURVE
   * and the other does not, or a key does not fit). libzmq does not retry such a connection by itself.
   */
  onRefused?: (failure: HandshakeFailure) => void;
}

let instances = 0;

/** The joiner's main-thread relay: front connection ⇄ this host's worker threads. */
export class Uplink {
  /** Where this host's worker threads connect. */
  readonly backendAddress = `inproc://zpb-joiner-${process.pid}-${++instances}`;
  private readonly local: zmq.Dealer;
  private readonly localOut: SendQueue;
  private uplink!: zmq.Dealer;
  private uplinkOut!: SendQueue;
  private watch: HandshakeWatch | undefined;
  /** Set once the front refused this host: no more reconnecting. */
  private refused = false;
  private lastHeard = performance.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private leaving = false;
  private loops: Promise<unknown>[] = [];
  /** Times this host (re)connected and said `ready`. */
  sessions = 0;

  constructor(private readonly options: UplinkOptions) {
    this.local = new zmq.Dealer({
      linger: options.linger,
      sendHighWaterMark: options.requestHighWaterMark,
      receiveHighWaterMark: 0,
    });
    this.localOut = new SendQueue(this.local, () => {});
  }

  async bind(): Promise<void> {
    await this.local.bind(this.backendAddress);
  }

  /** Connects to the front and starts relaying; resolves at once (libzmq connects in the background). */
  start(): void {
    this.connect();
    this.loops.push(this.relayReplies());
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs);
  }

  /** Says `bye` (the front sends nothing more); what the threads still hold keeps flowing back until close(). */
  leave(): void {
    if (this.leaving || this.closed) return;
    this.leaving = true;
    this.uplinkOut.send([encodeJoinMessage({ type: "bye" })]);
  }

  /** Closes both sockets (the worker threads must have stopped first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    await sleep(20); // let the last replies reach libzmq; linger delivers them
    this.watch?.close();
    this.uplink.close();
    this.local.close();
    await Promise.all(this.loops);
  }

  private connect(): void {
    const { options } = this;
    this.uplink = new zmq.Dealer({
      linger: options.linger,
      maxMessageSize: options.maxMessageSize,
      // Small queues: what the front sends is bounded by its credit for this host anyway.
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      heartbeatInterval: options.heartbeatMs,
      heartbeatTimeout: options.heartbeatMs * HEARTBEAT_LIVENESS,
      ...options.uplinkSocket,
    });
    this.uplinkOut = new SendQueue(this.uplink, () => {});
    this.watch?.close();
    this.watch = new HandshakeWatch(this.uplink, (failure) => {
      if (failure.kind === "other" || this.refused || this.closed) return;
      this.refused = true;
      options.onRefused?.(failure);
    });
    this.uplink.connect(options.join);
    this.lastHeard = performance.now();
    this.sessions++;
    this.uplinkOut.send([
      encodeJoinMessage({ type: "ready", version: JOIN_PROTOCOL_VERSION, workers: options.workers }),
    ]);
    this.loops.push(this.relayRequests(this.uplink));
  }

  // Front → threads: requests go on as they are (`[tag, ("",) payload]`); one-frame messages are control.
  private async relayRequests(uplink: zmq.Dealer): Promise<void> {
    for (;;) {
      const frames = await receiveOrEnd(uplink);
      if (frames === undefined) return;
      this.lastHeard = performance.now();
      if (frames.length >= 2) {
        this.localOut.send(frames);
        continue;
      }
      const message = decodeJoinMessage(frames[0]!);
      if (message?.type === "rejoin" && !this.leaving) this.reconnect("the front asked this host to join again");
    }
  }

  // Threads → front: replies, on whichever connection is current.
  private async relayReplies(): Promise<void> {
    for (;;) {
      const frames = await receiveOrEnd(this.local);
      if (frames === undefined) return;
      this.uplinkOut.send(frames);
    }
  }

  private beat(): void {
    if (this.closed) return;
    const silentMs = performance.now() - this.lastHeard;
    if (silentMs > this.options.heartbeatMs * HEARTBEAT_LIVENESS && !this.leaving && !this.refused) {
      this.reconnect(`no heartbeat from the front for ${Math.round(silentMs)} ms${this.handshakeHint()}`);
      return;
    }
    this.uplinkOut.send([encodeJoinMessage({ type: "heartbeat" })]);
  }

  // A wrong server key is not conclusive (the front just hangs up, as libzmq reports nothing more), so the
  // reconnect line says what to check when no CURVE handshake has completed on this connection.
  private handshakeHint(): string {
    if (this.options.uplinkSocket?.curveServerKey === undefined || (this.watch?.succeeded ?? 0) > 0) return "";
    return "; no CURVE handshake with it completed: is it up, and is --server-key its public key?";
  }

  // A fresh socket is a fresh connection: whatever the old one had queued is dropped, and the front sees a
  // new host (it has answered, or will answer, what the old one held).
  private reconnect(why: string): void {
    this.options.logger.warn({ join: this.options.join, why }, `rejoining ${this.options.join} (${why})`);
    this.uplink.close();
    this.connect();
  }
}
