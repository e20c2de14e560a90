import type * as zmq from "zeromq";
import { z85Key, type CurveKey } from "./curve/keys.js";

/**
 * The endpoints of the Rust prost + zmq example and the echo tutorial, on loopback: zpb never binds `*` unless you ask
 * for it.
 */
export const DEFAULT_ENDPOINTS = {
  /** REQ/REP (the Rust prost + zmq example's REQ/REP programs). */
  reply: "tcp://127.0.0.1:5555",
  /** PUB/SUB (the Rust prost + zmq example's market-data programs). */
  publish: "tcp://127.0.0.1:6000",
  /** ROUTER/DEALER (the Rust prost + zmq example's ROUTER program). */
  router: "tcp://127.0.0.1:7000",
  /** Raw-bytes echo (the REQ/REP echo tutorial). */
  echo: "tcp://127.0.0.1:25933",
} as const;

/** libzmq options that matter for a messaging service; each maps 1:1 to the libzmq option named. */
export interface SocketOptions {
  /** ZMQ_SNDHWM: messages queued per peer before send blocks (DEALER/REQ) or drops (ROUTER/PUB). Default 1000. */
  sendHighWaterMark?: number;
  /** ZMQ_RCVHWM: messages queued per peer on receive. Default 1000. */
  receiveHighWaterMark?: number;
  /** ZMQ_LINGER ms: how long unsent messages may delay close/exit. Default 500 (libzmq's -1 can hang exit forever). */
  linger?: number;
  /** ZMQ_SNDTIMEO ms: a send that cannot queue within this rejects with TransportError TIMEOUT. Default -1 (wait). */
  sendTimeout?: number;
  /** ZMQ_RCVTIMEO ms: a receive with nothing within this rejects with TransportError TIMEOUT. Default -1 (wait). */
  receiveTimeout?: number;
  /** ZMQ_MAXMSGSIZE bytes: a peer sending a larger message is disconnected by libzmq. Default -1 (no limit). */
  maxMessageSize?: number;
  /** ZMQ_HEARTBEAT_IVL ms: send ZMTP heartbeats at this interval (0 = off, the default). */
  heartbeatInterval?: number;
  /** ZMQ_HEARTBEAT_TIMEOUT ms: drop a connection whose heartbeat is not answered in time. */
  heartbeatTimeout?: number;
  /** ZMQ_HEARTBEAT_TTL ms: how long the peer should wait for our heartbeats. */
  heartbeatTimeToLive?: number;
  /** ZMQ_RECONNECT_IVL ms: wait between reconnect attempts. Default 100. */
  reconnectInterval?: number;
  /** ZMQ_RECONNECT_IVL_MAX ms: cap for exponential reconnect back-off (0 = no back-off). */
  reconnectMaxInterval?: number;
  /** ZMQ_HANDSHAKE_IVL ms: drop a connection that has not finished the ZMTP handshake in time. Default 30000 (0 = never). */
  handshakeInterval?: number;
  /** ZMQ_IMMEDIATE: queue only to completed connections, so sends to a dead peer don't pile up. */
  immediate?: boolean;
  /**
   * ZMQ_CURVE_SERVER: accept CurveZMQ clients (encrypted; with a ZAP handler, authenticated). Needs
   * `curveSecretKey`. Default false. See `curveServerOptions()` for the whole set from a certificate file.
   */
  curveServer?: boolean;
  /** ZMQ_CURVE_SECRETKEY: this socket's long-term secret key, on CURVE servers and clients. Never logged. */
  curveSecretKey?: CurveKey;
  /** ZMQ_CURVE_PUBLICKEY: this socket's long-term public key, on CURVE clients (the key a server allow-lists). */
  curvePublicKey?: CurveKey;
  /**
   * ZMQ_CURVE_SERVERKEY: the public key of the CURVE server to connect to; setting it makes this socket a
   * CURVE client (it then needs `curvePublicKey` + `curveSecretKey`; see `curveClientOptions()`).
   */
  curveServerKey?: CurveKey;
  /**
   * ZMQ_ZAP_DOMAIN: the domain this socket's ZAP requests carry, so one ZAP handler can apply different
   * policies to different server sockets (see ZapAuthenticator). Default: none ("").
   */
  zapDomain?: string;
  /** The zeromq context; default: the process-wide context (shared with worker threads, needed for inproc). */
  context?: zmq.Context;
}

/** zpb's defaults, in one place; every other option keeps libzmq's default. */
export const DEFAULT_SOCKET_OPTIONS = {
  linger: 500,
} as const satisfies SocketOptions;

/** Merges defaults with the caller's options into what a zeromq socket constructor takes. */
export function zmqOptions<T extends SocketOptions>(
  options: T | undefined,
  extra: object = {},
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...DEFAULT_SOCKET_OPTIONS, ...extra };
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined || NOT_SOCKET_OPTIONS.has(key)) continue;
    // Keys go to libzmq as Z85 text whatever form they came in; a malformed one fails here, by name.
    merged[key] = CURVE_KEY_OPTIONS.has(key) ? z85Key(value as CurveKey, key) : value;
  }
  return merged;
}

const CURVE_KEY_OPTIONS = new Set(["curveSecretKey", "curvePublicKey", "curveServerKey"]);

// Options our classes consume themselves and must not hand to zeromq (it rejects unknown ones).
const NOT_SOCKET_OPTIONS = new Set(["codec", "delimiter", "topics", "batchLimits"]);

/**
 * Creates a zeromq socket and sets the merged options (from zmqOptions) that its type has. Options the
 * type lacks (e.g. `sendTimeout` on a SUB) are skipped rather than thrown on, so one options object can
 * configure every socket of a service.
 */
export function createSocket<S extends zmq.Socket>(
  SocketType: new (options?: { context?: zmq.Context }) => S,
  merged: Record<string, unknown>,
): S {
  const { context, ...settings } = merged as { context?: zmq.Context } & Record<string, unknown>;
  const socket = context ? new SocketType({ context }) : new SocketType();
  const settable = socket as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(settings)) if (key in socket) settable[key] = value;
  return socket;
}
