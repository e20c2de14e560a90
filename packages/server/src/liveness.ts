// Whether each worker thread's event loop still runs, in shared memory: the worker stamps the time on a
// timer (which cannot fire while its JavaScript is stuck), and says whether its socket has a receive
// pending (which decides whether ending the thread from outside is safe, see thread-interrupt.ts). The main
// thread's watchdog only reads. One slot per worker; a replacement reuses its predecessor's slot.

const CELLS = 2;
const ALIVE_AT = 0;
const RECEIVE_PENDING = 1;

/** Shared liveness memory for `workers` slots. */
export function createLivenessMemory(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * CELLS * Float64Array.BYTES_PER_ELEMENT);
}

/** One worker's view of its slot: what the worker writes. */
export class LivenessCells {
  private readonly cells: Float64Array;

  constructor(memory: SharedArrayBuffer, slot: number) {
    this.cells = new Float64Array(memory, slot * CELLS * Float64Array.BYTES_PER_ELEMENT, CELLS);
  }

  /** Stamps "my event loop ran just now". */
  beat(now = Date.now()): void {
    this.cells[ALIVE_AT] = now;
  }

  /** Marks whether a receive() is pending on the worker's socket. */
  set receivePending(pending: boolean) {
    this.cells[RECEIVE_PENDING] = pending ? 1 : 0;
  }

  get receivePending(): boolean {
    return this.cells[RECEIVE_PENDING] === 1;
  }

  /** When the worker's event loop last ran (Date.now() ms; 0 before its first beat). */
  get aliveAt(): number {
    return this.cells[ALIVE_AT]!;
  }

  /** Forgets the previous worker's stamps (the main thread calls this before a slot's worker starts). */
  reset(): void {
    this.cells.fill(0);
  }
}

/**
 * Stamps `cells` every `intervalMs` while the thread's event loop runs; returns a function that stops it.
 * The timer is unref'd: it never keeps a thread alive on its own.
 */
export function startHeartbeat(cells: LivenessCells, intervalMs: number): () => void {
  cells.beat();
  const timer = setInterval(() => cells.beat(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** How often a worker stamps its liveness for a given stall timeout: often enough to be precise to ~10 %. */
export function heartbeatInterval(stallTimeoutMs: number): number {
  return Math.max(10, Math.min(1000, Math.floor(stallTimeoutMs / 10)));
}
