import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { emptyFrontCounters } from "./front-events.js";
import type { Logger } from "./log.js";
import { ReplyDrops } from "./reply-drops.js";

/** A logger that keeps its warn lines. */
function warnings(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const ignore = () => undefined;
  return { lines, logger: { info: ignore, error: ignore, warn: (_fields, message) => lines.push(message) } };
}

/** A clients' ROUTER as the JS reply paths make it: mandatory, never waiting. */
async function clientsRouter(sendHighWaterMark: number): Promise<zmq.Router> {
  const router = new zmq.Router({ mandatory: true, sendTimeout: 0, sendHighWaterMark, linger: 0 });
  await router.bind("tcp://127.0.0.1:*");
  return router;
}

describe("ReplyDrops", () => {
  const own = closeAfterEach();

  it("counts a reply to a client that is not connected as gone, and logs nothing", async () => {
    const router = own(await clientsRouter(10));
    const counters = emptyFrontCounters();
    const { logger, lines } = warnings();
    const drops = new ReplyDrops(counters, "main", logger, 10);
    const frames = [Buffer.from("nobody"), Buffer.from("reply")];
    const error = await router.send(frames).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(drops.record(error, frames)).toBe(true);
    expect(counters).toMatchObject({ repliesToGone: 1, slowConsumerDrops: 0 });
    expect(lines).toEqual([]);
  });

  it("counts replies past the HWM to a client that does not read as slow-consumer drops, logged once per interval", async () => {
    const router = own(await clientsRouter(5));
    const client = own(new zmq.Dealer({ routingId: "slow", receiveHighWaterMark: 5, linger: 0 }));
    client.connect(router.lastEndpoint!);
    // The client says hello, so the router knows its id; then it never reads.
    await client.send("hello");
    await router.receive();
    const counters = emptyFrontCounters();
    const { logger, lines } = warnings();
    const drops = new ReplyDrops(counters, "main", logger, 5);
    const payload = Buffer.alloc(64 * 1024);
    let delivered = 0;
    for (let i = 0; i < 2000 && counters.slowConsumerDrops < 10; i++) {
      const frames = [Buffer.from("slow"), payload];
      try {
        await router.send(frames);
        delivered++;
      } catch (error) {
        expect(drops.record(error, frames)).toBe(true);
      }
    }
    expect(counters.slowConsumerDrops).toBe(10);
    expect(counters.repliesToGone).toBe(0);
    expect(delivered).toBeGreaterThanOrEqual(5);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/main: dropped a reply to client 736c6f77: 5 replies wait unread/);
  });

  it("leaves other failures to the caller", () => {
    const counters = emptyFrontCounters();
    const drops = new ReplyDrops(counters, "main", warnings().logger, 5);
    const closed = Object.assign(new Error("Socket is closed"), { code: "EBADF" });
    expect(drops.record(closed, [Buffer.from("x")])).toBe(false);
    expect(counters).toEqual(emptyFrontCounters());
  });
});
