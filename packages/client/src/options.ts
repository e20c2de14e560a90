import { DEFAULT_ENDPOINTS } from "@zpb/transport";

/** Every client default, in one place. */
export const CLIENT_DEFAULTS = {
  /** How long one attempt waits for its reply. */
  timeoutMs: 1000,
  /** Extra attempts after the first times out (the Lazy Pirate's retries). */
  retries: 2,
  /** Requests in flight at once on the pipelined client. */
  window: 100,
  /**
   * Requests packed into one batch by the pipelined client: 1 = every request its own frame, because a batch
   * needs a peer that speaks the batch wire (docs/wire.md, "Batches"): the zpb server does, the Rust
   * prost + zmq example, pyzmq and libzmq programs do not.
   */
  maxBatch: 1,
  /** Messages a publisher packs into one batch: 1 = one frame per message, which every subscriber reads. */
  publishBatch: 1,
  /** How long (µs) a queued request may wait for others to join its batch: 0 = only those of the same event-loop turn. */
  lingerMicros: 0,
  /**
   * Clients close with linger 0: a request that was never answered is not worth delaying exit for, and
   * libzmq's default (-1) can keep the process alive forever.
   */
  linger: 0,
  /** A publisher's close() still delivers what it queued for connected subscribers, for up to this long. */
  publisherLinger: 1000,
  /**
   * After the server refuses a CURVE client (libzmq does not retry such a connection itself), a pipelined
   * client or subscription reconnects this long after, so a key authorized meanwhile gets in.
   */
  refusedRetryMs: 1000,
  endpoints: DEFAULT_ENDPOINTS,
  /**
   * A client spread over several servers (`endpoints`): a server whose request failed (timed out, or refused
   * CODE_UNAVAILABLE) sits out `backOff.minMs`, doubling with each failure in a row up to `backOff.maxMs`,
   * or until it answers. Its sockets queue only to servers whose connection is complete (ZMQ_IMMEDIATE), and
   * send ZMTP heartbeats, so a server that vanishes without closing its connection (a partition, a stopped
   * host) is disconnected within `heartbeatTimeout` and reconnected by libzmq later.
   */
  failover: {
    backOff: { minMs: 500, maxMs: 8000 },
    immediate: true,
    heartbeatInterval: 1000,
    heartbeatTimeout: 3000,
  },
} as const;

/** Per-call options shared by every request-style client. */
export interface CallOptions {
  /** How long to wait for the reply, in ms (per attempt on the request client). */
  timeoutMs?: number;
  /** Cancels the call; it then rejects with AbortedError. */
  signal?: AbortSignal;
}

/** Per-request options of the request-style clients: a timeout per attempt, retries, and an AbortSignal. */
export interface RequestOptions extends CallOptions {
  /**
   * How often the request may be sent again after a timeout or a CODE_UNAVAILABLE reply; overrides the client's
   * `retries`. Allow it only for requests that are safe to run twice: a timed-out one may have run.
   */
  retries?: number;
}

/**
 * The servers a client talks to: `endpoints` when given (at least one), else `[endpoint]`, else the default.
 * Throws RangeError for an empty list.
 */
export function endpointsOf(options: { endpoint?: string; endpoints?: readonly string[] }, fallback: string): string[] {
  if (options.endpoints !== undefined) {
    if (options.endpoints.length === 0) throw new RangeError("endpoints must list at least one endpoint");
    return [...options.endpoints];
  }
  return [options.endpoint ?? fallback];
}

/** Drops undefined values so they don't override defaults in a spread. */
export function stripUndefined<O extends object>(options: O): O {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as O;
}
