// Counters each worker keeps in a SharedArrayBuffer slot: the worker is the only writer of its slot and
// bumps plain Float64 cells (no Atomics, no messages on the hot path); the main thread reads any time.

/** What a worker counts, in slot order. */
export const COUNTER_NAMES = [
  /** Messages received from the backend (good or bad). */
  "requests",
  /** Replies sent (including error replies). */
  "replies",
  /** Payloads that were not a valid message (CODE_DECODE). */
  "decodeErrors",
  /** Messages whose payload case the handler does not serve (CODE_UNKNOWN_PAYLOAD). */
  "unknownPayload",
  /** Messages with a frame count the pattern does not allow (CODE_BAD_FRAMES). */
  "badFrames",
  /** Payloads over the server's `maxPayload` (CODE_TOO_LARGE). */
  "tooLarge",
  /** Handlers that threw or rejected, or returned something the codec could not encode (CODE_HANDLER). */
  "handlerErrors",
  /** Requests refused because the server was stopping (CODE_UNAVAILABLE). */
  "unavailable",
  /** Replies the socket refused to send (the worker logs nothing on the hot path; it counts). */
  "sendFailures",
  /** Requests whose handler ran past --handler-timeout, or was interrupted as stuck (CODE_DEADLINE). */
  "deadlines",
] as const;

export type CounterName = (typeof COUNTER_NAMES)[number];

/** Index of each counter inside a slot. */
export const Counter = Object.fromEntries(COUNTER_NAMES.map((name, i) => [name, i])) as {
  readonly [K in CounterName]: number;
};

/** One worker's counters by name. */
export type WorkerCounters = Record<CounterName, number>;

const SLOT = COUNTER_NAMES.length;

/** Shared counter memory for `workers` slots; a replacement worker reuses its predecessor's slot. */
export function createCounterMemory(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * SLOT * Float64Array.BYTES_PER_ELEMENT);
}

/** The Float64Array view of one worker's slot (what a worker writes into). */
export function slotView(memory: SharedArrayBuffer, slot: number): Float64Array {
  return new Float64Array(memory, slot * SLOT * Float64Array.BYTES_PER_ELEMENT, SLOT);
}

/** Reads one slot into named counters. */
export function readSlot(memory: SharedArrayBuffer, slot: number): WorkerCounters {
  const view = slotView(memory, slot);
  const out = {} as WorkerCounters;
  for (const [i, name] of COUNTER_NAMES.entries()) out[name] = view[i]!;
  return out;
}

/** Per-worker counters plus their sum (worker i = the i-th thread of every service). */
export interface ServerStats {
  /** Counters summed over every worker slot. */
  total: WorkerCounters;
  /** Counters per worker slot, in slot order. */
  workers: WorkerCounters[];
  /** Each worker's share of all requests (0..1), in slot order; empty shares are 0. */
  share: number[];
  /** Worker threads that died (each is replaced unless the server is stopping). */
  workerDeaths: number;
  /** Worker slots serving right now (below `workers.length` while a replacement starts). */
  serving: number;
  /** Milliseconds since the server started. */
  uptimeMs: number;
  /** What the main thread refused or ended to protect the rest (stuck workers, full heaps, connections). */
  refusals: RefusalCounters;
}

/** What the server refused or ended to protect the rest, counted on the main thread (README "Hardening"). */
export interface RefusalCounters {
  /** Workers found stuck (--stall-timeout), interrupted and replaced. */
  stalls: number;
  /** Workers that reached their heap limit (--worker-heap-mb) and were replaced. */
  heapLimit: number;
  /** Clients whose CURVE key the allow-list (--authorized-keys) refused. */
  curveClients: number;
  /** Worker hosts whose CURVE key the host link's allow-list (--host-keys) refused. */
  curveHosts: number;
  /** Connections accepted on the fronts. */
  accepted: number;
  /** accept() failures (out of file descriptors). */
  acceptFailures: number;
  /** Connections dropped before finishing the handshake (--handshake-timeout, bad protocol). */
  handshakeFailures: number;
  /** Connections that ended (peer left, heartbeat timeout, handshake timeout, taken over). */
  disconnects: number;
  /**
   * Replies dropped because their client had --reply-hwm replies unread (a slow consumer). Counted with
   * `--forwarder js` and on a server hosts join; behind libzmq's proxy (the default) libzmq drops them unseen.
   */
  slowConsumerDrops: number;
  /** Replies to clients that had left before they arrived (counted where slowConsumerDrops is). */
  repliesToGone: number;
}

/** Zeroed refusal counters. */
export function emptyRefusals(): RefusalCounters {
  return {
    stalls: 0,
    heapLimit: 0,
    curveClients: 0,
    curveHosts: 0,
    accepted: 0,
    acceptFailures: 0,
    handshakeFailures: 0,
    disconnects: 0,
    slowConsumerDrops: 0,
    repliesToGone: 0,
  };
}

/** Sums every slot into a ServerStats value. */
export function collectStats(
  memory: SharedArrayBuffer,
  workers: number,
  workerDeaths: number,
  serving: number,
  uptimeMs: number,
  refusals: RefusalCounters = emptyRefusals(),
  services = 1,
): ServerStats {
  // Worker i is the i-th thread of every service (slots i, i + workers, …): its counters are their sum.
  const perWorker = Array.from({ length: workers }, (_, worker) => {
    const sum = readSlot(memory, worker);
    for (let service = 1; service < services; service++) {
      const more = readSlot(memory, service * workers + worker);
      for (const name of COUNTER_NAMES) sum[name] += more[name];
    }
    return sum;
  });
  const total = Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as WorkerCounters;
  for (const counters of perWorker) for (const name of COUNTER_NAMES) total[name] += counters[name];
  const share = perWorker.map((c) => (total.requests > 0 ? c.requests / total.requests : 0));
  return { total, workers: perWorker, share, workerDeaths, serving, uptimeMs, refusals };
}

/** Error counters only, as one object, for logs. */
export function errorCounts(counters: WorkerCounters): Record<string, number> {
  const { requests: _r, replies: _p, ...errors } = counters;
  return errors;
}
