// Handler durations as a histogram in shared memory: each worker owns one slot and, on the hot path, only
// bumps one bucket cell, the sum and the count (plain Float64 writes, no Atomics, no messages); the metrics
// endpoint sums every slot when it is scraped. Buckets are cumulative only in what readDurations() returns.

/** Upper bounds in seconds, from 10 µs (a Ping) to 10 s; a handler slower than that lands in +Inf. */
export const DURATION_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5, 10,
] as const;

const BUCKETS_MS = DURATION_BUCKETS.map((seconds) => seconds * 1000);
/** Cells per slot: one per bucket, +Inf, then the sum (ms) and the count. */
const INF = DURATION_BUCKETS.length;
const SUM = INF + 1;
const COUNT = INF + 2;
const SLOT = INF + 3;

/** Shared memory for `workers` slots; a replacement worker keeps adding to its predecessor's slot. */
export function createDurationMemory(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * SLOT * Float64Array.BYTES_PER_ELEMENT);
}

/** Records durations into one worker's slot. */
export class DurationRecorder {
  private readonly cells: Float64Array;

  constructor(memory: SharedArrayBuffer, slot: number) {
    this.cells = new Float64Array(memory, slot * SLOT * Float64Array.BYTES_PER_ELEMENT, SLOT);
  }

  /** Adds one handler call that took `ms` milliseconds. */
  observe(ms: number): void {
    const cells = this.cells;
    let bucket = 0;
    while (bucket < INF && ms > BUCKETS_MS[bucket]!) bucket++;
    cells[bucket]!++;
    cells[SUM]! += ms;
    cells[COUNT]!++;
  }
}

/** Every slot summed, as Prometheus wants it: cumulative bucket counts (`le` in seconds), sum in seconds, count. */
export interface DurationSnapshot {
  buckets: Array<{ le: number; count: number }>;
  sumSeconds: number;
  count: number;
}

/** Sums every worker's slot. */
export function readDurations(memory: SharedArrayBuffer, workers: number): DurationSnapshot {
  const totals = new Float64Array(SLOT);
  for (let slot = 0; slot < workers; slot++) {
    const cells = new Float64Array(memory, slot * SLOT * Float64Array.BYTES_PER_ELEMENT, SLOT);
    for (let i = 0; i < SLOT; i++) totals[i]! += cells[i]!;
  }
  let cumulative = 0;
  const buckets = DURATION_BUCKETS.map((le: number, i) => {
    cumulative += totals[i]!;
    return { le, count: cumulative };
  });
  // +Inf equals the count by definition; taking it from the same cells keeps the two consistent mid-write.
  buckets.push({ le: Infinity, count: cumulative + totals[INF]! });
  return { buckets, sumSeconds: totals[SUM]! / 1000, count: cumulative + totals[INF]! };
}
