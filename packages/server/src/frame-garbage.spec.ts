import { describe, expect, it } from "vitest";
import { FrameGarbage } from "./frame-garbage.js";
import { sleep } from "./test-support/server.js";

describe("FrameGarbage", () => {
  it("leaves messages of a few frames to V8, however many arrive", async () => {
    const garbage = new FrameGarbage();
    for (let i = 0; i < 10_000; i++) garbage.received(1000);
    await sleep(20);
    expect(garbage.collections).toBe(0);
  });

  it("collects once 100,000 frames of many-frame messages have arrived, not per message", async () => {
    const garbage = new FrameGarbage();
    for (let i = 0; i < 49; i++) garbage.received(2000);
    await sleep(20);
    expect(garbage.collections).toBe(0);
    for (let i = 0; i < 3; i++) garbage.received(2000); // the 100,000th frame, and two more before the timer
    await sleep(20);
    expect(garbage.collections).toBe(1);
    garbage.received(1_000_000);
    await sleep(20);
    expect(garbage.collections).toBe(2);
  });
});
