import { describe, expect, it } from "vitest";
import { HeapJudge, V8_LIMIT_FACTOR, v8HeapLimitMb } from "./heap-watch.js";

const MiB = 2 ** 20;

describe("HeapJudge (a 100 MiB budget: the line at 75 MiB)", () => {
  it("lets a heap full of garbage be: one full collection brings it under the line", () => {
    const judge = new HeapJudge(100);
    expect(judge.check(210 * MiB, 1000)).toBe(false); // a million-frame message just received
    judge.collected(1010);
    expect(judge.check(205 * MiB, 1050)).toBe(false); // the collection's entry can arrive before it shows
    judge.collected(1100);
    expect(judge.check(20 * MiB, 1150)).toBe(false);
    // Collections counted while it was over do not carry over to the next time it is over.
    expect(judge.check(80 * MiB, 1200)).toBe(false);
    judge.collected(1210);
    expect(judge.check(80 * MiB, 1250)).toBe(false);
  });

  it("says leave once the heap stays over the line through two full collections (a leak)", () => {
    const judge = new HeapJudge(100);
    expect(judge.check(76 * MiB, 1000)).toBe(false);
    judge.collected(1020);
    expect(judge.check(78 * MiB, 1050)).toBe(false);
    judge.collected(1080);
    expect(judge.check(80 * MiB, 1100)).toBe(true);
  });

  it("does not count a collection that began before the heap was seen over the line", () => {
    const judge = new HeapJudge(100);
    judge.collected(900);
    expect(judge.check(90 * MiB, 1000)).toBe(false);
    judge.collected(950); // delivered late: began before the check above
    judge.collected(1010);
    expect(judge.check(90 * MiB, 1050)).toBe(false);
    judge.collected(1060);
    expect(judge.check(90 * MiB, 1100)).toBe(true);
  });

  it("says leave at once near V8's own limit, collections or not", () => {
    const judge = new HeapJudge(100);
    expect(judge.check(0.75 * v8HeapLimitMb(100) * MiB - 1, 1000)).toBe(false);
    expect(judge.check(0.75 * v8HeapLimitMb(100) * MiB, 1001)).toBe(true);
  });

  it("gives V8 a limit that is a multiple of the budget, and Node's default for 0", () => {
    expect(v8HeapLimitMb(256)).toBe(256 * V8_LIMIT_FACTOR);
    expect(V8_LIMIT_FACTOR).toBeGreaterThan(1);
    expect(v8HeapLimitMb(0)).toBe(0);
  });
});
