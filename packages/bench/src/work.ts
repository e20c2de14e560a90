import { ErrorCode, errorReply, pong, type Envelope } from "@zpb/proto";

/**
 * Iterations of busyWork that make the "CPU-heavy" request: about 200 µs on the 2-core AMD EPYC
 * this suite was written on (the run measures and reports the real figure; see `calibration`).
 * A fixed count, not a time, so every server does exactly the same work per request.
 */
export const HEAVY_ITERATIONS = 140_000;

let sink = 0;

/** Deterministic CPU-bound work (xorshift32 rounds); the result is kept so V8 cannot drop the loop. */
export function busyWork(iterations: number, seed: number): number {
  let x = seed | 0 || 0x2545f491;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink ^= x;
  return x >>> 0;
}

/** Reads the busy-work sink (only so that bundlers and V8 see it used). */
export function busySink(): number {
  return sink;
}

/**
 * The benchmark's service: Ping → Pong with the same seq, after `iterations` of busy work.
 * Every server in the suite (ours through the handler module, and the peers) answers with this.
 */
export function answer(request: Envelope, iterations: number): Envelope {
  const p = request.payload;
  if (p.case !== "ping") return errorReply(ErrorCode.CODE_UNKNOWN_PAYLOAD, `expected ping, got ${String(p.case)}`);
  if (iterations > 0) busyWork(iterations, Number(p.value.seq & 0xffffffffn));
  return pong(p.value.seq);
}
