// A worker's heap budget (--worker-heap-mb) and how it is kept. Two lines, because V8 ending a thread whose
// socket is inside a receive aborts the whole process (zeromq.js#411: the addon then throws where no JS
// can catch it):
//
// - V8's own limit (resourceLimits) sits at V8_LIMIT_FACTOR × the budget. A single receive can fill a heap
//   with garbage the worker never keeps: a message of 1,000,000 one-byte frames becomes a million Buffers
//   (~200 MiB) before any of our code sees it, and V8 ending the thread at that point takes the process
//   down. The headroom lets such a message be received, refused and collected.
// - The budget itself is kept here, by the worker: when its heap stays above NEAR_BUDGET of it through
//   CONFIRMING_GCS full collections (kept, not garbage waiting for the collector), the thread leaves
//   through the guard's dying sequence — answering what it holds, closing its socket — and is replaced.
//   That catches a handler leaking across calls long before V8's limit. One call that allocates without
//   pause still runs into V8's limit (see the README's "Hardening").
import { getHeapStatistics } from "node:v8";
import { constants, PerformanceObserver } from "node:perf_hooks";

/** V8's limit for a worker, as a multiple of its budget. */
export const V8_LIMIT_FACTOR = 4;
/** A heap kept above this share of the budget makes the worker leave. */
const NEAR_BUDGET = 0.75;
/** Full collections the heap must stay above the line through before it counts as kept. */
const CONFIRMING_GCS = 2;
/** Above this share of V8's limit the worker leaves at once, without waiting for a collection. */
const NEAR_V8_LIMIT = 0.75;
const CHECK_EVERY_MS = 50;
const MiB = 2 ** 20;

/** The old-generation limit (MiB) V8 is given for a worker with this budget; 0 (Node's default) stays 0. */
export function v8HeapLimitMb(budgetMb: number): number {
  return budgetMb * V8_LIMIT_FACTOR;
}

/**
 * Tells a heap that is kept above the budget from one that is only full of garbage: `check` says leave
 * once the heap has stayed above the line through CONFIRMING_GCS full collections that began after it
 * was first seen above it, or at once near V8's own limit. Times are on `performance.now()`'s clock.
 */
export class HeapJudge {
  private readonly line: number;
  private readonly danger: number;
  private overSince: number | undefined;
  private collectionsSince = 0;

  constructor(budgetMb: number) {
    this.line = NEAR_BUDGET * budgetMb * MiB;
    this.danger = NEAR_V8_LIMIT * v8HeapLimitMb(budgetMb) * MiB;
  }

  /** A full collection began at `startedAt`. */
  collected(startedAt: number): void {
    if (this.overSince !== undefined && startedAt > this.overSince) this.collectionsSince++;
  }

  /** True when the worker should leave, given the heap in use now. */
  check(usedBytes: number, now: number): boolean {
    if (usedBytes >= this.danger) return true;
    if (usedBytes < this.line) {
      this.overSince = undefined;
      this.collectionsSince = 0;
      return false;
    }
    this.overSince ??= now;
    return this.collectionsSince >= CONFIRMING_GCS;
  }
}

/**
 * Watches this thread's heap against `budgetMb` (unref'd timer, and an observer of full collections);
 * calls `onOverBudget` once. Returns a stop function. A budget of 0 (Node's default limit) is not watched.
 */
export function watchHeap(budgetMb: number, onOverBudget: (usedMb: number, budgetMb: number) => void): () => void {
  if (budgetMb <= 0) return () => undefined;
  const judge = new HeapJudge(budgetMb);
  const collections = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)
        judge.collected(entry.startTime);
  });
  collections.observe({ entryTypes: ["gc"] });
  const stop = (): void => {
    clearInterval(timer);
    collections.disconnect();
  };
  const timer = setInterval(() => {
    // used_heap_size, not V8's heap_size_limit (which adds the young generation): the old generation is
    // what fills up and ends the thread.
    const { used_heap_size: used } = getHeapStatistics();
    if (!judge.check(used, performance.now())) return;
    stop();
    onOverBudget(Math.round(used / MiB), budgetMb);
  }, CHECK_EVERY_MS);
  timer.unref();
  return stop;
}
