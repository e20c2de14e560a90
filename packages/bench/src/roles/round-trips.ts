// The measuring loop every latency client shares: sequential round trips, warm-up left out of the
// histogram, bounded by count and time. Each client supplies only how one round trip is made.
import { createLatencyHistogram, summarise } from "../histogram.js";
import { cpuSecondsSince, nowSeconds } from "../ipc.js";
import type { LatencyClientResult } from "../result.js";

/** What one round trip came to: answered right, answered wrong, unanswered, or unanswered so the client must stop. */
export type RoundTrip = "ok" | "unexpected" | "lost" | "lost-final";

export interface RoundTripPlan {
  count: number;
  warmup: number;
  durationMs: number;
}

/** Runs `warmup + count` sequential round trips (seq 1, 2, …) within `durationMs`; latencies in µs. */
export async function measureRoundTrips(
  plan: RoundTripPlan,
  roundTrip: (seq: number) => Promise<RoundTrip>,
  stopped: () => boolean = () => false,
): Promise<LatencyClientResult> {
  const histogram = createLatencyHistogram();
  let lost = 0;
  let unexpected = 0;
  const cpu = process.cpuUsage();
  const start = nowSeconds();
  const deadline = start + plan.durationMs / 1000;
  try {
    for (let i = 0; i < plan.warmup + plan.count && !stopped(); i++) {
      if (nowSeconds() > deadline) break;
      const t0 = process.hrtime.bigint();
      const outcome = await roundTrip(i + 1);
      const micros = Number(process.hrtime.bigint() - t0) / 1000;
      if (outcome === "lost" || outcome === "lost-final") {
        lost++;
        if (outcome === "lost-final") break;
        continue;
      }
      if (outcome === "unexpected") unexpected++;
      if (i >= plan.warmup) histogram.recordValue(Math.max(1, Math.round(micros)));
    }
    return {
      latency: summarise(histogram),
      lost,
      unexpected,
      wallSeconds: nowSeconds() - start,
      cpuSeconds: cpuSecondsSince(cpu),
    };
  } finally {
    histogram.destroy();
  }
}
