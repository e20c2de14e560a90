// A worker's own look at its heap: when it nears the limit (--worker-heap-mb), the thread leaves through the
// guard's dying sequence — answering what it holds, closing its socket — instead of waiting for V8 to end
// it. That matters because V8 ending a thread whose socket has a receive pending aborts the whole process
// (zeromq.js#411): this catches a heap that grows across requests (a leak), checked on a timer. A single
// call that allocates without pause still runs into V8's limit (see the README's "Hardening").
import { getHeapStatistics } from "node:v8";

/** Leave at this share of the heap limit. */
const NEAR_LIMIT = 0.75;
const CHECK_EVERY_MS = 50;

/** Checks the heap every CHECK_EVERY_MS (unref'd timer); calls `onNearLimit` once. Returns a stop function. */
export function watchHeap(limitMb: number, onNearLimit: (usedMb: number, limitMb: number) => void): () => void {
  if (limitMb <= 0) return () => undefined;
  // Against the limit we set (the old generation's), not V8's heap_size_limit, which adds the young
  // generation: the old generation is what fills up and ends the thread.
  const threshold = NEAR_LIMIT * limitMb * 2 ** 20;
  const timer = setInterval(() => {
    const { used_heap_size: used } = getHeapStatistics();
    if (used < threshold) return;
    clearInterval(timer);
    onNearLimit(Math.round(used / 2 ** 20), limitMb);
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
