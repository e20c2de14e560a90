import hdr from "hdr-histogram-js";
import type { LatencySummary } from "./result.js";

/** Percentiles of the curve every latency summary carries (for the percentile chart). */
export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

/** A latency histogram in microseconds: 1 µs to 60 s, 3 significant digits. */
export function createLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** Summarises a histogram into the JSON shape. */
export function summarise(h: hdr.Histogram): LatencySummary {
  const at = (p: number): number => h.getValueAtPercentile(p);
  return {
    count: h.totalCount,
    minUs: h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue,
    p50Us: at(50),
    p90Us: at(90),
    p99Us: at(99),
    p999Us: at(99.9),
    maxUs: h.maxValue,
    meanUs: Math.round(h.mean * 10) / 10,
    curve: CURVE_PERCENTILES.map((p) => [p, p === 0 ? h.minNonZeroValue : p === 100 ? h.maxValue : at(p)]),
  };
}
