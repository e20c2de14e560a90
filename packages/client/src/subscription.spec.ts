import { afterEach, describe, expect, it } from "vitest";
import { envelopeCodec, ping, rawCodec, seqOf, type Envelope } from "@zpb/proto";
import { Subscriber } from "@zpb/transport";
import { Subscription } from "./subscription.js";
import { TopicPublisher } from "./publisher.js";
import { TimeoutError } from "./errors.js";
import { ANY_PORT } from "./test-support/servers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(topics: string[] = ["PING"]) {
  const publisher = await TopicPublisher.bind({ endpoint: ANY_PORT });
  cleanups.push(() => publisher.close());
  const subscription = new Subscription({ endpoint: publisher.endpoint, topics });
  cleanups.push(() => subscription.close());
  for (const topic of topics) await publisher.waitForSubscribers(1, { topic, timeoutMs: 3000 });
  return { publisher, subscription };
}

/** A raw-bytes publisher (so a batch can carry an undecodable item) and an Envelope subscription to `topic`. */
async function rawPair(topic: string) {
  const publisher = await TopicPublisher.bind<Uint8Array>({ endpoint: ANY_PORT, codec: rawCodec });
  cleanups.push(() => publisher.close());
  const subscription = new Subscription({ endpoint: publisher.endpoint, topics: [topic] });
  cleanups.push(() => subscription.close());
  await publisher.waitForSubscribers(1, { topic, timeoutMs: 3000 });
  return { publisher, subscription };
}

/** An encoded ping, for raw publishers. */
const good = (seq: number) => envelopeCodec.encode(ping(seq));

async function take<T>(subscription: Subscription<T>, count: number) {
  const got = [];
  while (got.length < count) {
    const m = await subscription.next({ timeoutMs: 3000 });
    if (m === undefined) break;
    got.push(m);
  }
  return got;
}

describe("Subscription + TopicPublisher", () => {
  it("delivers {topic, message} for the subscribed topic only", async () => {
    const { publisher, subscription } = await pair(["PING"]);
    for (let i = 1; i <= 10; i++) {
      await publisher.publish("OTHER", ping(1000 + i));
      await publisher.publish("PING", ping(i));
    }
    const got = await take(subscription, 10);
    expect(got.map((m) => m.topic)).toEqual(Array(10).fill("PING"));
    expect(got.map((m) => seqOf(m.message))).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i + 1)));
    await expect(subscription.next({ timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
    expect(subscription.stats).toMatchObject({ received: 10, gaps: 0, lost: 0 });
  });

  it("detects seq gaps per topic and counts the lost messages", async () => {
    const { publisher, subscription } = await pair(["A", "B"]);
    for (const seq of [1, 2, 5, 6, 10]) await publisher.publish("A", ping(seq));
    for (const seq of [1, 2, 3]) await publisher.publish("B", ping(seq)); // B's own sequence: no gap
    const got = await take(subscription, 8);
    const missedOnA = got.filter((m) => m.topic === "A").map((m) => m.missed);
    expect(missedOnA).toEqual([0, 0, 2, 0, 3]);
    expect(subscription.stats).toMatchObject({ received: 8, gaps: 2, lost: 5, outOfOrder: 0 });
    await publisher.publish("A", ping(3)); // backwards: a restarted publisher, not a gap
    await take(subscription, 1);
    expect(subscription.stats).toMatchObject({ gaps: 2, lost: 5, outOfOrder: 1 });
  });

  it("counts and skips undecodable messages", async () => {
    const publisher = await TopicPublisher.bind<Uint8Array>({ endpoint: ANY_PORT, codec: rawCodec });
    cleanups.push(() => publisher.close());
    const subscription = new Subscription({ endpoint: publisher.endpoint, topics: ["PING"] });
    cleanups.push(() => subscription.close());
    await publisher.waitForSubscribers(1, { topic: "PING", timeoutMs: 3000 });
    await publisher.publish("PING", envelopeCodec.encode(ping(1)));
    await publisher.publish("PING", Uint8Array.of(0xff, 0xff, 0xff));
    await publisher.publish("PING", envelopeCodec.encode(ping(2)));
    const got = await take(subscription, 2);
    expect(got.map((m) => seqOf(m.message))).toEqual([1n, 2n]);
    expect(subscription.stats).toMatchObject({ received: 2, undecodable: 1, lost: 0 });
  });

  it("publishMany sends a bounded count at the asked rate", async () => {
    const { publisher, subscription } = await pair(["PING"]);
    const result = await publisher.publishMany({ topic: "PING", count: 100, rate: 100, message: (i) => ping(i) });
    expect(result.sent).toBe(100);
    // 100 messages at 100/s are due over 990 ms (the first goes at t=0): never sooner, and — since the pacing
    // catches up with its schedule rather than sleeping per message — not much later on a loaded machine.
    // Half the asked rate (1980 ms) fails; so does ignoring it (a few ms).
    expect(result.elapsedMs).toBeGreaterThanOrEqual(980);
    expect(result.elapsedMs).toBeLessThan(1600);
    const got = await take(subscription, 100);
    expect(got.map((m) => seqOf(m.message))).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i + 1)));
    expect(subscription.stats.lost).toBe(0);
  });

  it("publishMany stops on its signal; the iterator ends when the subscription closes", async () => {
    const { publisher, subscription } = await pair(["PING"]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await publisher.publishMany({
      topic: "PING",
      rate: 100,
      message: (i) => ping(i),
      signal: controller.signal,
    });
    // about 11 are due by the abort at 100 ms; 40 leaves room for a late timer, while a publisher that noticed
    // its signal only at its next progress report or never would run far past it.
    expect(result.sent).toBeGreaterThan(0);
    expect(result.sent).toBeLessThan(40);
    let seen = 0;
    for await (const m of subscription) {
      expect(m.topic).toBe("PING");
      if (++seen === result.sent) subscription.close();
    }
    expect(seen).toBe(result.sent);
  });

  it("a next() that timed out leaves the subscription usable", async () => {
    const { publisher, subscription } = await pair(["PING"]);
    await expect(subscription.next({ timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    await publisher.publish("PING", ping(1));
    await expect(subscription.next({ timeoutMs: 3000 })).resolves.toMatchObject({ topic: "PING", missed: 0 });
  });
});

describe("batches: TopicPublisher packs, Subscription unpacks", () => {
  it("publishMany with batch 10 packs 95 messages into 10 ZeroMQ messages; the subscription sees all 95 in order", async () => {
    const { publisher, subscription } = await pair(["PING"]);
    const units = new Subscriber({ linger: 0, topics: ["PING"] });
    cleanups.push(() => units.close());
    units.connect(publisher.endpoint);
    await publisher.waitForSubscribers(2, { topic: "PING", timeoutMs: 3000 });
    const result = await publisher.publishMany({ topic: "PING", count: 95, batch: 10, message: (i) => ping(i) });
    expect(result.sent).toBe(95);
    const got = await take(subscription, 95);
    expect(got.map((m) => seqOf(m.message))).toEqual(Array.from({ length: 95 }, (_, i) => BigInt(i + 1)));
    expect(subscription.stats).toMatchObject({ received: 95, lost: 0, gaps: 0, undecodable: 0 });
    const shapes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const unit = await units.receiveMany();
      shapes.push(`${unit?.batch ? "batch" : "single"} of ${unit?.items.length}`);
    }
    expect(shapes).toEqual([...Array(9).fill("batch of 10"), "batch of 5"]);
  });

  it("counts gaps per message inside and across batches", async () => {
    const { publisher, subscription } = await pair(["A"]);
    await publisher.publishBatch("A", [ping(1), ping(2), ping(5)]);
    await publisher.publishBatch("A", [ping(6), ping(10)]);
    const got = await take(subscription, 5);
    expect(got.map((m) => m.missed)).toEqual([0, 0, 2, 0, 3]);
    expect(subscription.stats).toMatchObject({ received: 5, gaps: 2, lost: 5 });
  });

  it("nextBatch()/batches() hand out each ZeroMQ message's decodable messages together, gaps counted per message", async () => {
    const { publisher, subscription } = await rawPair("A");
    await publisher.publishBatch("A", [good(1), good(2), Uint8Array.of(0xff, 0xff), good(5)]);
    await publisher.publish("A", good(6));
    await publisher.publishBatch("A", [good(7), good(9)]);
    await publisher.publishBatch("A", [good(10), good(11)]);
    const view = (batch: Array<{ message: Envelope; missed: number }> | undefined) =>
      batch?.map((m) => `${seqOf(m.message)}${m.missed > 0 ? ` (missed ${m.missed})` : ""}`);
    // next() takes one message of a batch; nextBatch() then hands out the rest of that batch.
    expect(seqOf((await subscription.next({ timeoutMs: 3000 }))!.message)).toBe(1n);
    expect(view(await subscription.nextBatch({ timeoutMs: 3000 }))).toEqual(["2", "5 (missed 2)"]);
    expect(view(await subscription.nextBatch({ timeoutMs: 3000 }))).toEqual(["6"]);
    const rest: Array<string[] | undefined> = [];
    for await (const batch of subscription.batches()) {
      rest.push(view(batch));
      if (rest.length === 2) break;
    }
    expect(rest).toEqual([
      ["7", "9 (missed 1)"],
      ["10", "11"],
    ]);
    expect(subscription.stats).toMatchObject({ received: 8, undecodable: 1, gaps: 2, lost: 3 });
    // Breaking out of batches() closed the subscription.
    expect(await subscription.nextBatch()).toBeUndefined();
  });

  it("skips an undecodable item of a batch and delivers the others; the iterator crosses batches", async () => {
    const { publisher, subscription } = await rawPair("PING");
    await publisher.publishBatch("PING", [good(1), Uint8Array.of(0xff, 0xff), good(2)]);
    await publisher.publish("PING", good(3));
    await publisher.publishBatch("PING", [good(4), good(5)]);
    const seen: Array<bigint | undefined> = [];
    for await (const m of subscription) {
      seen.push(seqOf(m.message));
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(subscription.stats).toMatchObject({ received: 5, undecodable: 1, lost: 0 });
  });

  it("a batch the subscriber refuses whole (over its limits) counts once as undecodable", async () => {
    const publisher = await TopicPublisher.bind<Uint8Array>({ endpoint: ANY_PORT, codec: rawCodec });
    cleanups.push(() => publisher.close());
    const subscription = new Subscription({ endpoint: publisher.endpoint, topics: ["PING"] });
    cleanups.push(() => subscription.close());
    await publisher.waitForSubscribers(1, { topic: "PING", timeoutMs: 3000 });
    await publisher.publishBatch(
      "PING",
      Array.from({ length: 4097 }, () => envelopeCodec.encode(ping(1))),
    );
    await publisher.publish("PING", envelopeCodec.encode(ping(2)));
    const got = await take(subscription, 1);
    expect(got.map((m) => seqOf(m.message))).toEqual([2n]);
    expect(subscription.stats).toMatchObject({ received: 1, undecodable: 1 });
  });

  it("publishMany keeps its rate when batching", async () => {
    const { publisher, subscription } = await pair(["PING"]);
    const result = await publisher.publishMany({
      topic: "PING",
      count: 50,
      rate: 250,
      batch: 10,
      message: (i) => ping(i),
    });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(180);
    const got = await take(subscription, 50);
    expect(got.map((m) => seqOf(m.message))).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
  });
});
