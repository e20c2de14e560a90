import { describe, expect, it } from "vitest";
import {
  createDurationMemory,
  DURATION_BUCKETS,
  DURATION_SAMPLE_EVERY,
  DurationRecorder,
  readDurations,
} from "./durations.js";

describe("handler durations in shared memory", () => {
  it("each worker writes its own slot; a read sums them into cumulative buckets", () => {
    const memory = createDurationMemory(2);
    const w0 = new DurationRecorder(memory, 0);
    const w1 = new DurationRecorder(memory, 1);
    w0.observe(0.005, 1); // 5 µs → le 0.00001
    w0.observe(0.01, 1); // exactly 10 µs → le 0.00001 (upper bounds are inclusive)
    w1.observe(0.3, 1); // 300 µs → le 0.0005
    w1.observe(20_000, 1); // 20 s → +Inf only
    const snapshot = readDurations(memory, 2);
    expect(snapshot.count).toBe(4);
    expect(snapshot.sumSeconds).toBeCloseTo((0.005 + 0.01 + 0.3 + 20_000) / 1000, 9);
    const at = (le: number) => snapshot.buckets.find((b) => b.le === le)!.count;
    expect(at(0.00001)).toBe(2);
    expect(at(0.00025)).toBe(2);
    expect(at(0.0005)).toBe(3);
    expect(at(10)).toBe(3);
    expect(at(Infinity)).toBe(4);
    expect(snapshot.buckets).toHaveLength(DURATION_BUCKETS.length + 1);
    for (let i = 1; i < snapshot.buckets.length; i++)
      expect(snapshot.buckets[i]!.count).toBeGreaterThanOrEqual(snapshot.buckets[i - 1]!.count);
  });

  it("only the slots asked for are read", () => {
    const memory = createDurationMemory(3);
    new DurationRecorder(memory, 2).observe(1, 1);
    expect(readDurations(memory, 2).count).toBe(0);
    expect(readDurations(memory, 3).count).toBe(1);
  });

  it("times one call in DURATION_SAMPLE_EVERY, the first included, each sample counting for that many", () => {
    const recorder = new DurationRecorder(createDurationMemory(1), 0);
    const picks = Array.from({ length: 3 * DURATION_SAMPLE_EVERY }, () => recorder.sample());
    expect(picks.filter(Boolean)).toHaveLength(3);
    expect(picks[0]).toBe(true);
    expect(picks[DURATION_SAMPLE_EVERY]).toBe(true);
    const memory = createDurationMemory(1);
    new DurationRecorder(memory, 0).observe(2);
    expect(readDurations(memory, 1)).toMatchObject({
      count: DURATION_SAMPLE_EVERY,
      sumSeconds: (2 * DURATION_SAMPLE_EVERY) / 1000,
    });
  });
});
