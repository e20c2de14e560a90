import { DEFAULT_ENDPOINTS } from "@zpb/transport";
import { availableParallelism } from "node:os";
import { ServerError } from "./errors.js";
import { resolveHandlerSpec } from "./handler.js";
import { silentLogger, type Logger } from "./log.js";

/** Everything startServer accepts; every field is optional and defaults live in DEFAULTS below. */
export interface ServerOptions {
  /** Endpoints of the Envelope service (one ROUTER binds them all). Default: the seed's tcp://127.0.0.1:5555 and :7000. */
  bind?: string[];
  /** The raw-bytes echo endpoint, or false for none. Default: the seed's tcp://127.0.0.1:25933. */
  echo?: string | false;
  /** Worker threads. Default: os.availableParallelism(). */
  workers?: number;
  /** Handler module for the Envelope endpoints: "ping" (built in, the default), "echo", a path or a URL. */
  handler?: string | URL;
  /** Requests larger than this many bytes are answered with CODE_TOO_LARGE. Default 1 MiB. */
  maxPayload?: number;
  /** libzmq's hard cap (ZMQ_MAXMSGSIZE): a peer sending a larger frame is disconnected, unanswered. Default max(16 MiB, 4 × maxPayload). */
  maxMessageSize?: number;
  /** Async handler calls in flight per worker and service; the worker stops receiving at this many. Default 64. */
  concurrency?: number;
  /** Requests queued for one worker (backend DEALER send HWM, worker receive HWM) before the front backs off. Default 1000. */
  requestHighWaterMark?: number;
  /** Replies queued for one client before libzmq drops (front ROUTER send HWM); 0 = never drop. Default 0. */
  replyHighWaterMark?: number;
  /** On stop, how long workers may finish running handlers and flush replies (ms). Default 2000. */
  drainTimeout?: number;
  /** ZMQ_LINGER on every socket (ms): how long close may still deliver queued replies. Default 500. */
  linger?: number;
  /** Where the server logs worker deaths and replacements. Default: silent. */
  logger?: Logger;
  /**
   * How frames move between the front ROUTER and the workers: "proxy" (libzmq's zmq_proxy on a libuv pool
   * thread, the default) or "js" (two forwarding loops on the main thread; kept to measure against).
   */
  forwarder?: Forwarder;
}

/** See ServerOptions.forwarder. */
export type Forwarder = "proxy" | "js";

/** ServerOptions with every default applied and checked. */
export interface ResolvedOptions {
  bind: string[];
  echo: string | false;
  workers: number;
  handler: string;
  maxPayload: number;
  maxMessageSize: number;
  concurrency: number;
  requestHighWaterMark: number;
  replyHighWaterMark: number;
  drainTimeout: number;
  linger: number;
  logger: Logger;
  forwarder: Forwarder;
}

/** The defaults, in one place. */
export const DEFAULTS = {
  bind: [DEFAULT_ENDPOINTS.reply, DEFAULT_ENDPOINTS.router],
  echo: DEFAULT_ENDPOINTS.echo,
  handler: "ping",
  maxPayload: 1024 * 1024,
  concurrency: 64,
  requestHighWaterMark: 1000,
  replyHighWaterMark: 0,
  drainTimeout: 2000,
  linger: 500,
  statsInterval: 10_000,
} as const;

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min)
    throw new ServerError("INVALID_OPTION", `${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function forwarder(value: string): Forwarder {
  if (value !== "proxy" && value !== "js")
    throw new ServerError("INVALID_OPTION", `forwarder must be "proxy" or "js", got ${value}`);
  return value;
}

/** Applies DEFAULTS and validates; throws ServerError INVALID_OPTION. */
export function resolveOptions(options: ServerOptions = {}): ResolvedOptions {
  const bind = options.bind ?? [...DEFAULTS.bind];
  if (bind.length === 0 && options.echo === false)
    throw new ServerError("INVALID_OPTION", "nothing to bind: give bind endpoints or an echo endpoint");
  const maxPayload = integer("maxPayload", options.maxPayload ?? DEFAULTS.maxPayload, 0);
  const maxMessageSize = integer(
    "maxMessageSize",
    options.maxMessageSize ?? Math.max(16 * 1024 * 1024, 4 * maxPayload),
    1,
  );
  if (maxMessageSize < maxPayload) {
    throw new ServerError(
      "INVALID_OPTION",
      `maxMessageSize (${maxMessageSize}) must be at least maxPayload (${maxPayload}), or large requests could never be answered`,
    );
  }
  return {
    bind,
    echo: options.echo ?? DEFAULTS.echo,
    workers: integer("workers", options.workers ?? availableParallelism(), 1),
    handler: resolveHandlerSpec(options.handler ?? DEFAULTS.handler),
    maxPayload,
    maxMessageSize,
    concurrency: integer("concurrency", options.concurrency ?? DEFAULTS.concurrency, 1),
    requestHighWaterMark: integer(
      "requestHighWaterMark",
      options.requestHighWaterMark ?? DEFAULTS.requestHighWaterMark,
      1,
    ),
    replyHighWaterMark: integer("replyHighWaterMark", options.replyHighWaterMark ?? DEFAULTS.replyHighWaterMark, 0),
    drainTimeout: integer("drainTimeout", options.drainTimeout ?? DEFAULTS.drainTimeout, 0),
    linger: integer("linger", options.linger ?? DEFAULTS.linger, 0),
    logger: options.logger ?? silentLogger,
    forwarder: forwarder(options.forwarder ?? "proxy"),
  };
}
