// A test-only handler for the metrics tests: a few seqs do something the counters must show.
import { pong } from "@zpb/proto";

/** Seqs with a behaviour; any other seq gets its Pong at once. */
export const METERED = {
  /** Throws: answered with CODE_HANDLER (zpb_errors_total{kind="handler"}). */
  THROW: 99n,
  /** Kills its worker thread after replying (an uncaught exception on a timer): the worker is replaced. */
  KILL_WORKER: 98n,
  /** Replies after ~40 ms: lands in the 0.05 s bucket of the duration histogram, not the 0.025 s one. */
  SLOW: 97n,
};

export default function metered(request) {
  const seq = request.payload.case === "ping" ? request.payload.value.seq : 0n;
  if (seq === METERED.THROW) throw new Error("metered boom");
  if (seq === METERED.KILL_WORKER) {
    setTimeout(() => {
      throw new Error("metered worker death");
    }, 5);
  }
  if (seq === METERED.SLOW) return new Promise((resolve) => setTimeout(() => resolve(pong(seq)), 40));
  return pong(seq);
}
