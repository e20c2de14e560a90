// startServer's settings, each defined once: its flag and ZPB_* variable, default, check, doc line and
// whether workers need it. ServerOptions, option resolution, zpb-server's flags and --help, the values
// handed to worker threads and the README's settings table are all derived from SERVER_SETTINGS.
//
// To add a setting: add one entry below (its JSDoc becomes the ServerOptions field's doc), then use it —
// `resolved.<name>` on the main thread, or with `worker: true`, `task.settings.<name>` in a worker. Then
// regenerate the README table (`pnpm run docs:settings`).
import { BATCH_LIMITS } from "@zpb/proto";
import { DEFAULT_ENDPOINTS } from "@zpb/transport";
import { isKeyText } from "@zpb/transport/internal";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { isLoopbackEndpoint } from "./endpoints.js";
import { resolveHandlerSpec } from "./handler.js";
import { formatHttpAddress, parseHttpAddress } from "./http-address.js";
import {
  boolean,
  type Constraint,
  type InputOf,
  InvalidSetting,
  integer,
  oneOf,
  type ResolvedOf,
  setting,
  type WorkerPart,
  workerPart,
} from "./setting.js";

const MiB = 1024 * 1024;

/** Splits a list given as text (a flag repeated, or `ZPB_BIND="tcp://a:1 tcp://b:2"`, commas also work). */
function endpointList(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...text.split(/[\s,]+/).filter((part) => part.length > 0)];
}

function checkEndpoints(value: string[]): string[] {
  if (!Array.isArray(value) || value.some((e) => typeof e !== "string" || e.length === 0))
    throw new InvalidSetting(`must be a list of endpoints, got ${JSON.stringify(value)}`);
  return value;
}

/** An endpoint that is off unless given (`off` turns it off again). */
function optionalEndpoint(spec: { flag: string; doc: string }) {
  return setting<string | false, string | false>({
    ...spec,
    default: false,
    defaultText: "off",
    parse: (text) => (OFF.includes(text.trim().toLowerCase()) ? false : text),
    check: (value) => {
      if (value !== false && (typeof value !== "string" || value.length === 0))
        throw new InvalidSetting(`must be an endpoint or false, got ${JSON.stringify(value)}`);
      return value;
    },
  });
}

/** A file or directory path, made absolute (so logs and reloads name one place whatever the cwd later is). */
function optionalPath(spec: { flag: string; doc: string; defaultText: string }) {
  return setting<string, string | undefined>({
    ...spec,
    default: undefined,
    parse: (text) => text,
    check: (value) => {
      if (typeof value !== "string" || value.length === 0) throw new InvalidSetting("must be a path");
      return resolve(value);
    },
  });
}

/** A public key given as a certificate file (made absolute, as optionalPath does) or as its 40 Z85 characters. */
function optionalPublicKey(spec: { flag: string; doc: string; defaultText: string }) {
  const path = optionalPath(spec);
  return {
    ...path,
    check: (value: string) => (typeof value === "string" && isKeyText(value) ? value : path.check(value)),
  };
}

/** Words that turn a service off when given as its endpoint (`--echo off`, `ZPB_ECHO=off`). */
const OFF = ["off", "false", "none"];

/**
 * What a hostile peer or a broken handler can do is bounded by these (see the README's "Hardening": each
 * limit, its counter and the memory bound they add up to).
 */
const HARDENING_SETTINGS = {
  /** An async handler that has not settled after this many ms is answered with CODE_DEADLINE and its signal aborts; 0 = no deadline. */
  handlerTimeout: integer({
    flag: "--handler-timeout <ms>",
    doc: "an async handler not settled after <ms> is answered with `CODE_DEADLINE`, its slot freed and its `signal` aborted; `0` = none",
    default: 30_000,
    min: 0,
    worker: true,
  }),
  /** A worker whose event loop has not run for this many ms (stuck in synchronous code) is interrupted and replaced; 0 = off. */
  stallTimeout: integer({
    flag: "--stall-timeout <ms>",
    doc: "a worker whose event loop has not run for <ms> (stuck in synchronous code) is interrupted, its requests answered, and replaced; `0` = off",
    default: 10_000,
    min: 0,
    worker: true,
  }),
  /**
   * Each worker thread's heap budget (MiB): a worker that keeps more than 3/4 of it is replaced; V8's own
   * limit (resourceLimits) sits at 4 × the budget, room for one oversized message (heap-watch.ts). 0 = Node's
   * default limit, not watched.
   */
  workerHeapMb: integer({
    flag: "--worker-heap-mb <MiB>",
    doc: "each worker thread's heap budget: a worker that keeps over 3/4 of it (through two full GCs) is replaced and counted; V8's hard limit is 4 × it; `0` = Node's default",
    default: 256,
    min: 0,
    worker: true,
  }),
  /** Request bytes a worker holds in running async handlers; above it the worker stops taking requests until some finish. */
  maxInFlightBytes: integer({
    flag: "--max-in-flight-bytes <bytes>",
    doc: "request bytes one worker holds in running async handlers; above it the worker stops taking requests until some finish",
    default: 64 * MiB,
    min: 1,
    worker: true,
  }),
  /** ZMTP heartbeats on the front (ZMQ_HEARTBEAT_IVL, ms): peers that stop answering are dropped; 0 = off. */
  heartbeatInterval: integer({
    flag: "--heartbeat-interval <ms>",
    doc: "ZMTP heartbeat to every client (`ZMQ_HEARTBEAT_IVL`) so dead peers are dropped; `0` = off",
    default: 10_000,
    min: 0,
  }),
  /** A client that has not answered a heartbeat within this many ms is dropped (ZMQ_HEARTBEAT_TIMEOUT). */
  heartbeatTimeout: integer({
    flag: "--heartbeat-timeout <ms>",
    doc: "a client that has not answered a heartbeat within <ms> is dropped (`ZMQ_HEARTBEAT_TIMEOUT`)",
    default: (earlier) => 3 * (earlier.heartbeatInterval as number),
    defaultText: "3 × heartbeat-interval",
    min: 0,
  }),
  /** A connection that has not finished the ZMTP handshake within this many ms is dropped (ZMQ_HANDSHAKE_IVL). */
  handshakeTimeout: integer({
    flag: "--handshake-timeout <ms>",
    doc: "a connection that has not finished its ZMTP handshake within <ms> is dropped (`ZMQ_HANDSHAKE_IVL`; libzmq's default is 30000); `0` = never",
    default: 5000,
    min: 0,
  }),
};

export const SERVER_SETTINGS = {
  /** Endpoints of the Envelope service; one ROUTER binds them all (`tcp://127.0.0.1:*` picks a free port). */
  bind: setting<string[], string[]>({
    flag: "--bind <endpoint...>",
    doc: "endpoints of the Envelope service; one ROUTER binds them all (`tcp://127.0.0.1:*` picks a free port)",
    default: [DEFAULT_ENDPOINTS.reply, DEFAULT_ENDPOINTS.router],
    parse: endpointList,
    check: checkEndpoints,
  }),
  /** The raw-bytes echo endpoint, or false for none. */
  echo: setting<string | false, string | false>({
    flag: "--echo <endpoint>",
    doc: "endpoint of the raw-bytes echo service; `off` (or `--no-echo`) serves none",
    default: DEFAULT_ENDPOINTS.echo,
    negatable: true,
    parse: (text) => (OFF.includes(text.trim().toLowerCase()) ? false : text),
    check: (value) => {
      if (value !== false && (typeof value !== "string" || value.length === 0))
        throw new InvalidSetting(`must be an endpoint or false, got ${JSON.stringify(value)}`);
      return value;
    },
  }),
  /** Worker threads; 0 (with `backend`) makes a pure router that serves only through joined hosts. */
  workers: integer({
    flag: "--workers <n>",
    doc: "worker threads; `0` with `--backend`: a pure router, served only by hosts that join",
    default: () => availableParallelism(),
    defaultText: "os.availableParallelism()",
    min: 0,
  }),
  /** Handler module for the Envelope endpoints: "ping" (built in), "echo", a path (resolved against the cwd) or a URL. */
  handler: setting<string | URL, string>({
    flag: "--handler <path|url>",
    doc: "handler module for the Envelope endpoints: `ping`, `echo` (built in), a path or a URL",
    default: "ping",
    parse: (text) => text,
    check: (value) => {
      if (!(value instanceof URL) && (typeof value !== "string" || value.length === 0))
        throw new InvalidSetting("must be a builtin name, a path or a URL");
      return resolveHandlerSpec(value);
    },
  }),
  /** Requests larger than this many bytes are answered with CODE_TOO_LARGE. */
  maxPayload: integer({
    flag: "--max-payload <bytes>",
    doc: "larger requests are answered with `CODE_TOO_LARGE`",
    default: MiB,
    min: 0,
    worker: true,
  }),
  /** libzmq's hard cap (ZMQ_MAXMSGSIZE): a peer sending a larger frame is disconnected, unanswered. */
  maxMessageSize: integer({
    flag: "--max-message-size <bytes>",
    doc: "libzmq's hard cap (`ZMQ_MAXMSGSIZE`): a larger frame disconnects the peer, unanswered",
    default: (earlier) => Math.max(16 * MiB, 4 * (earlier.maxPayload as number)),
    defaultText: "max(16 MiB, 4 × max-payload)",
    min: 1,
  }),
  /** Most requests one batch may carry (docs/wire.md, "Batches"); a larger batch is refused whole with CODE_TOO_LARGE. */
  maxBatchItems: integer({
    flag: "--max-batch-items <n>",
    doc: "most requests one batch may carry; a larger batch is refused whole with `CODE_TOO_LARGE`",
    default: BATCH_LIMITS.maxItems,
    min: 1,
    worker: true,
  }),
  /** Largest batch frame in bytes (docs/wire.md, "Batches"); a larger one is refused whole with CODE_TOO_LARGE. */
  maxBatchBytes: integer({
    flag: "--max-batch-bytes <bytes>",
    doc: "largest batch frame; a larger one is refused whole with `CODE_TOO_LARGE` (each item is also held to max-payload)",
    default: BATCH_LIMITS.maxBytes,
    min: 1,
    worker: true,
  }),
  /**
   * Pin libzmq's I/O thread to core 0 and worker slot i to core (i + 1) mod cores (Linux, util-linux
   * `taskset`). Off by default: see the README's "Pinning threads to cores" for what it measured.
   */
  pin: boolean({
    flag: "--pin",
    doc: "pin libzmq's I/O thread to core 0 and worker i to core (i + 1) mod cores (Linux; off by default)",
    default: false,
    worker: true,
  }),
  /** Async handler calls in flight per worker and service; the worker stops receiving at this many. */
  concurrency: integer({
    flag: "--concurrency <n>",
    doc: "async handler calls in flight per worker; the worker stops receiving at this many",
    // High enough that a few hundred hung handlers do not stop a worker reading (each is answered at
    // --handler-timeout); the memory it can hold is capped by --max-in-flight-bytes, not by this count.
    default: 1024,
    min: 1,
    worker: true,
  }),
  /** Requests queued for one worker (backend send HWM and worker receive HWM) before the front backs off. */
  requestHighWaterMark: integer({
    flag: "--request-hwm <n>",
    doc: "requests queued per worker (backend send HWM and worker receive HWM) before the front backs off",
    // Small, so a stuck worker holds only a few requests back (libzmq's DEALER skips a peer whose queue is
    // full) and so a queue never holds much memory; see the README's "Hardening".
    default: 32,
    min: 1,
    worker: true,
  }),
  /** Replies queued for one client before libzmq drops them (front ROUTER send HWM); 0 = never drop. */
  replyHighWaterMark: integer({
    flag: "--reply-hwm <n>",
    doc: 'replies queued per client before libzmq drops them (a slow consumer); `0` = never drop (see "Nothing lost")',
    // Bounded by default: a client that sends without reading must not grow the server without limit. 2048,
    // not 1000: libzmq tells a pipe's writer of reads only every (HWM + 1) / 2 messages, so a client with
    // N replies unread can look like one with N + HWM / 2; 2048 keeps a window of 1,000 clear of the bound
    // (src/no-loss.spec.ts, "on the default reply bound").
    default: 2048,
    min: 0,
  }),
  /** On stop, how long workers may finish running handlers and flush replies (ms). */
  drainTimeout: integer({
    flag: "--drain-timeout <ms>",
    doc: "on stop (SIGINT/SIGTERM), how long running handlers may finish and replies flush",
    default: 2000,
    min: 0,
  }),
  /** ZMQ_LINGER on every socket (ms): how long a close may still deliver queued replies. */
  linger: integer({
    flag: "--linger <ms>",
    doc: "`ZMQ_LINGER` on every socket: how long a close may still deliver queued replies",
    default: 500,
    min: 0,
    worker: true,
  }),
  /**
   * Also let worker hosts join over this endpoint (tcp): the Envelope service then routes through a broker
   * that spreads requests over local and joined workers by credit (see the README's "Scaling out").
   */
  backend: optionalEndpoint({
    flag: "--backend <endpoint>",
    doc: 'bind the pool\'s backend here too, so hosts can join (`--join`); see "Scaling out"',
  }),
  /** Run only worker threads, serving the server whose `backend` is this endpoint; bind nothing for clients. */
  join: optionalEndpoint({
    flag: "--join <endpoint>",
    doc: "run only workers, joining the server whose `--backend` is this endpoint (same `--handler` as it)",
  }),
  /** Requests in flight per worker thread when routing through a broker (`backend`, `join`); a small queue. */
  credit: integer({
    flag: "--credit <n>",
    doc: "requests in flight per worker thread, local or joined, when hosts can join",
    default: 16,
    min: 1,
  }),
  /**
   * Heartbeat interval (ms) on the host link, between a server and its joined hosts (`backend`, `join`); 3
   * missed beats mean the peer is gone. Not the clients' ZMTP heartbeat (`heartbeatInterval`).
   */
  hostHeartbeat: integer({
    flag: "--host-heartbeat <ms>",
    doc: "heartbeat interval between a server and joined hosts (not the clients' `--heartbeat-interval`); 3 missed mean the peer is gone",
    default: 1000,
    min: 10,
  }),
  /**
   * Serve Prometheus metrics at `http://HOST:PORT/metrics` and a health check at `/healthz` (200 while every
   * worker serves, 503 while starting or draining); false serves none. Keep it on loopback (127.0.0.1:9464)
   * unless the network it faces is trusted: it has no authentication. Port 0 picks a free port.
   */
  metrics: setting<string | false, string | false>({
    flag: "--metrics <host:port>",
    doc: "serve Prometheus metrics at `http://HOST:PORT/metrics` and `/healthz`; keep it on loopback, e.g. `127.0.0.1:9464`",
    default: false,
    defaultText: "off",
    parse: (text) => (OFF.includes(text.trim().toLowerCase()) ? false : text),
    check: (value) => {
      if (value === false) return false;
      if (typeof value !== "string")
        throw new InvalidSetting(`must be HOST:PORT or false, got ${JSON.stringify(value)}`);
      try {
        return formatHttpAddress(parseHttpAddress(value));
      } catch (error) {
        throw new InvalidSetting((error as Error).message);
      }
    },
  }),
  /**
   * How frames move between the front ROUTER and the workers: "proxy" (libzmq's zmq_proxy on a libuv pool
   * thread) or "js" (two forwarding loops on the main thread; kept to measure against).
   */
  forwarder: oneOf({
    flag: "--forwarder <kind>",
    doc: "front↔worker forwarding: libzmq's proxy, or two JS loops (kept only to measure against)",
    default: "proxy",
    choices: ["proxy", "js"] as const,
  }),
  /**
   * A secret certificate file (`NAME.key_secret`, from `zpb keygen` or pyzmq's create_certificates): every
   * front socket (the Envelope endpoints and echo) then speaks CURVE, encrypted, and so does the host link
   * (`backend`, which then needs `hostKeys`). On a joined host (`join`), this host's own key for the link to
   * the front (with `serverKey`). Default: plaintext.
   */
  curveKey: optionalPath({
    flag: "--curve-key <file>",
    doc: "secret certificate file (`NAME.key_secret`): every front socket and `--backend` speak CURVE (encrypted); with `--join`, this host's own key",
    defaultText: "none (plaintext)",
  }),
  /**
   * A directory of client public certificates (`*.key`): only those CURVE clients are accepted (SIGHUP
   * re-reads it). Default, with curveKey: any client that knows the server's public key (encrypted, not
   * authenticated).
   */
  authorizedKeys: optionalPath({
    flag: "--authorized-keys <dir>",
    doc: "with `--curve-key`: accept only clients whose public certificate (`*.key`) is in this directory; `SIGHUP` re-reads it",
    defaultText: "any client with the server key",
  }),
  /**
   * With `curveKey` and `backend`: a directory of worker-host public certificates (`*.key`); only those hosts
   * may join (SIGHUP re-reads it). Required there: a host sees every request, so "any key" is never enough.
   * Separate from `authorizedKeys`: a client's key never lets it join as a worker.
   */
  hostKeys: optionalPath({
    flag: "--host-keys <dir>",
    doc: "with `--curve-key` and `--backend` (then required): accept only worker hosts whose public certificate (`*.key`) is in this directory; `SIGHUP` re-reads it",
    defaultText: "none",
  }),
  /**
   * On a joined host (`join`, with `curveKey`): the front's public certificate file (`server.key`) or its Z85
   * public key, as the client CLI's `--server-key`.
   */
  serverKey: optionalPublicKey({
    flag: "--server-key <file|z85>",
    doc: "with `--join` and `--curve-key`: the front's public certificate file (`server.key`) or its Z85 public key",
    defaultText: "none (plaintext link)",
  }),
  /**
   * Allow binding a non-loopback address without curveKey (plaintext for anyone who can reach it), and
   * joining a non-loopback front (`join`) over a plaintext link.
   */
  insecure: boolean({
    flag: "--insecure",
    doc: "allow binding a non-loopback address, or joining a non-loopback `--join`, without `--curve-key` (plaintext to anyone who can reach it)",
    default: false,
  }),
  ...HARDENING_SETTINGS,
};

/**
 * The host link's rules (scale/link-security.ts; README, "Scaling out"): CURVE on it whenever the server has
 * a key, a worker-host allow-list of its own, and protected mode for a link other hosts can reach.
 */
const HOST_LINK_CONSTRAINTS: readonly Constraint<typeof SERVER_SETTINGS>[] = [
  (s) =>
    s.hostKeys !== undefined && s.backend === false
      ? "hostKeys is for hosts joining --backend: give --backend"
      : undefined,
  (s) => (s.hostKeys !== undefined && s.curveKey === undefined ? "hostKeys needs curveKey" : undefined),
  // A joined host sees every request it is sent: accepting any key (every client knows the server's public
  // key) would let any client join as a worker. So a CURVE backend always has an allow-list.
  (s) =>
    s.backend !== false && s.join === false && s.curveKey !== undefined && s.hostKeys === undefined
      ? "with --curve-key, --backend needs --host-keys <dir> (hostKeys): the worker hosts' public certificates " +
        "(*.key) allowed to join. Without it any client could join as a worker and see every request"
      : undefined,
  (s) =>
    s.backend !== false && !isLoopbackEndpoint(s.backend) && s.curveKey === undefined && !s.insecure
      ? `refusing to let hosts join over plaintext on ${s.backend} (not loopback): anyone who can reach it could ` +
        "join as a worker and see every request. Give --curve-key <secret certificate file> and --host-keys <dir> " +
        "(curveKey, hostKeys), or --insecure (insecure: true) on a network only your worker hosts reach"
      : undefined,
  (s) =>
    s.serverKey !== undefined && s.join === false ? "serverKey is the front's key for --join: give --join" : undefined,
  (s) =>
    s.join !== false && s.serverKey !== undefined && s.curveKey === undefined
      ? "--server-key needs --curve-key <this host's secret certificate file> (curveKey): the front accepts only " +
        "hosts whose public key is in its --host-keys"
      : undefined,
  (s) =>
    s.join !== false && s.curveKey !== undefined && s.serverKey === undefined
      ? "--join with --curve-key needs --server-key <the front's public certificate file> (serverKey)"
      : undefined,
  (s) =>
    s.join !== false && s.authorizedKeys !== undefined
      ? "a joined host (--join) has no clients: authorizedKeys does not apply (the front's --host-keys lists hosts)"
      : undefined,
  (s) =>
    s.join !== false && !isLoopbackEndpoint(s.join) && s.curveKey === undefined && !s.insecure
      ? `refusing to join ${s.join} over plaintext (not loopback): anyone on the path could read and forge the ` +
        "requests. Give --curve-key <this host's secret certificate file> and --server-key <the front's public " +
        "certificate> (curveKey, serverKey), or --insecure (insecure: true) on a network only your hosts reach"
      : undefined,
];

/** Rules across settings, checked after each setting on its own. */
export const SERVER_CONSTRAINTS: readonly Constraint<typeof SERVER_SETTINGS>[] = [
  (s) =>
    s.workers === 0 && s.backend === false && s.join === false
      ? "workers 0 makes a pure router: give --backend, the endpoint where worker hosts join"
      : undefined,
  (s) =>
    s.workers === 0 && s.echo !== false && s.join === false
      ? "the echo service needs local workers: with workers 0, turn it off (--no-echo)"
      : undefined,
  (s) =>
    s.join !== false && s.backend !== false
      ? "a host that joins another (--join) does not take joiners itself (--backend)"
      : undefined,
  (s) => (s.join !== false && s.workers === 0 ? "a host that joins another (--join) needs workers" : undefined),
  (s) =>
    s.bind.length === 0 && s.echo === false ? "nothing to bind: give bind endpoints or an echo endpoint" : undefined,
  (s) => (s.authorizedKeys !== undefined && s.curveKey === undefined ? "authorizedKeys needs curveKey" : undefined),
  // Protected mode, as Redis has it: a server reachable from other hosts must be encrypted or say it need not be.
  (s) => {
    if (s.curveKey !== undefined || s.insecure) return undefined;
    const exposed = [...s.bind, ...(s.echo === false ? [] : [s.echo])].filter((e) => !isLoopbackEndpoint(e));
    if (exposed.length === 0) return undefined;
    return (
      `refusing to serve plaintext on ${exposed.join(", ")} (not loopback): anyone who can reach it could talk to ` +
      "the server and read its traffic. Give --curve-key <secret certificate file> (curveKey) to encrypt " +
      "(`zpb keygen` makes one), or --insecure (insecure: true) to serve plaintext anyway"
    );
  },
  ...HOST_LINK_CONSTRAINTS,
  (s) =>
    s.maxMessageSize < s.maxPayload
      ? `maxMessageSize (${s.maxMessageSize}) must be at least maxPayload (${s.maxPayload}), or large requests could never be answered`
      : undefined,
];

/** Every setting startServer takes, resolved. */
export type ServerSettings = ResolvedOf<typeof SERVER_SETTINGS>;
/** The settings worker threads get (those marked `worker: true`), as one object. */
export type WorkerSettings = WorkerPart<typeof SERVER_SETTINGS>;
/** startServer's settings as a caller gives them: each optional. */
export type ServerSettingsInput = InputOf<typeof SERVER_SETTINGS>;
/** See ServerOptions.forwarder. */
export type Forwarder = ServerSettings["forwarder"];

/** Picks the worker settings out of the resolved ones. */
export function workerSettingsOf(resolved: ServerSettings): WorkerSettings {
  return workerPart(SERVER_SETTINGS, resolved);
}
