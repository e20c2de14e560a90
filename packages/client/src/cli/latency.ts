import * as hdr from "hdr-histogram-js";

/** Round-trip times in µs (1 µs to 60 s, 3 significant digits), summarised as min/p50/p99/max in ms. */
export class Latency {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });

  /** Records one round trip measured with performance.now() (ms). */
  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** min/p50/p99/max in ms, or undefined when nothing was recorded. */
  summary(): { minMs: number; p50Ms: number; p99Ms: number; maxMs: number } | undefined {
    if (this.histogram.totalCount === 0) return undefined;
    // Percentiles come back as the top of their bucket; never report one above the true max.
    const max = this.histogram.maxValue;
    const ms = (us: number) => Math.round(Math.min(us, max)) / 1000;
    return {
      minMs: ms(this.histogram.minNonZeroValue),
      p50Ms: ms(this.histogram.getValueAtPercentile(50)),
      p99Ms: ms(this.histogram.getValueAtPercentile(99)),
      maxMs: ms(max),
    };
  }

  /** "latency min/p50/p99/max = 0.101/0.153/0.412/1.020 ms", or a note that nothing came back. */
  line(): string {
    const s = this.summary();
    if (s === undefined) return "latency: no replies";
    return `latency min/p50/p99/max = ${[s.minMs, s.p50Ms, s.p99Ms, s.maxMs].map((v) => v.toFixed(3)).join("/")} ms`;
  }
}
