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
} as const;

/** Per-call options shared by every request-style client. */
export interface CallOptions {
  /** How long to wait for the reply, in ms (per attempt on the request client). */
  timeoutMs?: number;
  /** Cancels the call; it then rejects with AbortedError. */
  signal?: AbortSignal;
}

/** Drops undefined values so they don't override defaults in a spread. */
export function stripUndefined<O extends object>(options: O): O {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as O;
}
