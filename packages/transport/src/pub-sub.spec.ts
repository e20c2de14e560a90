import { DecodeError, envelopeCodec, ping, seqOf, type Envelope } from "@zpb/proto";
import { FrameError, Publisher, Subscriber, TransportError, type Published } from "./index.js";
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { within } from "@zpb/test-support";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { bindAddress, GARBAGE, TRANSPORTS } from "./test-support/sockets.js";

/** Receives the next message, bounded. */
async function next(subscriber: Subscriber): Promise<Published<Envelope>> {
  const message = await within(subscriber.receive(), "a published message");
  if (message === undefined) throw new Error("subscriber closed");
  return message;
}

/** [topic, seq] of a received message (seq undefined if it did not decode). */
function topicAndSeq(message: Published<Envelope>): [string, bigint | undefined] {
  return [message.topic, message.ok ? seqOf(message.message) : undefined];
}

describe.each(TRANSPORTS)("PUB/SUB over %s", (kind) => {
  const own = closeAfterEach();

  async function publisher() {
    const pub = own(new Publisher({ linger: 0 }));
    const endpoint = await pub.bind(bindAddress(kind));
    return { pub, endpoint };
  }

  it("delivers only the topics each subscriber asked for, in order", async () => {
    const { pub, endpoint } = await publisher();
    const quotes = own(new Subscriber({ linger: 0, topics: ["quote."] }));
    const trades = own(new Subscriber({ linger: 0, topics: ["trade."] }));
    quotes.connect(endpoint);
    trades.connect(endpoint);
    await pub.waitForSubscribers(1, { topic: "quote.EURUSD" });
    await pub.waitForSubscribers(1, { topic: "trade.EURUSD" });
    expect(pub.subscriberCount("quote.X")).toBe(1);
    expect(pub.subscriberCount("other")).toBe(0);

    await pub.publish("quote.EURUSD", ping(1n));
    await pub.publish("trade.EURUSD", ping(2n));
    await pub.publish("other", ping(3n));
    await pub.publish("quote.GBPUSD", ping(4n));
    await pub.publish("trade.GBPUSD", ping(5n));

    expect(topicAndSeq(await next(quotes))).toEqual(["quote.EURUSD", 1n]);
    expect(topicAndSeq(await next(quotes))).toEqual(["quote.GBPUSD", 4n]);
    expect(topicAndSeq(await next(trades))).toEqual(["trade.EURUSD", 2n]);
    expect(topicAndSeq(await next(trades))).toEqual(["trade.GBPUSD", 5n]);
    expect(quotes.counters).toMatchObject({ received: 2, decodeErrors: 0, frameErrors: 0 });
  });

  it("beats the slow joiner: after waitForSubscribers, a fresh subscriber gets the very first message", async () => {
    const { pub, endpoint } = await publisher();
    // Each round is a fresh connection; without the wait, the first message is routinely lost over tcp.
    // A topic per round: the previous round's closed subscriber still counts until its disconnect reaches
    // the publisher, so waiting on a shared topic could return early.
    for (let round = 1n; round <= 20n; round++) {
      const topic = `tick.${round}.`; // the trailing dot: "tick.1" would prefix-match "tick.10"
      const sub = own(new Subscriber({ linger: 0, topics: [topic] }));
      sub.connect(endpoint);
      await pub.waitForSubscribers(1, { topic, timeoutMs: 5_000 });
      await pub.publish(topic, ping(round));
      expect(topicAndSeq(await next(sub))).toEqual([topic, round]);
      sub.close();
    }
  });

  it("keeps a binary topic's exact bytes (topicBytes) where the UTF-8 text would lose them", async () => {
    const { pub, endpoint } = await publisher();
    const topic = Buffer.from([0xff, 0x00, 0x80, 0x01]);
    const sub = own(new Subscriber({ linger: 0, topics: [topic] }));
    sub.connect(endpoint);
    await pub.waitForSubscribers(1, { topic });
    await pub.publish(topic, ping(9n));
    const message = await next(sub);
    expect(message.topicBytes).toEqual(topic);
    expect(Buffer.from(message.topic, "utf8")).not.toEqual(topic);
  });

  it("counts subscriptions before anyone waits for them", async () => {
    const { pub, endpoint } = await publisher();
    const sub = own(new Subscriber({ linger: 0, topics: ["tick."] }));
    sub.connect(endpoint);
    // No waitForSubscribers(): the publisher watches subscriptions from construction on.
    const deadline = Date.now() + 5_000;
    while (pub.subscriberCount("tick.1") === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(pub.subscriberCount("tick.1")).toBe(1);
  });

  it("counts a subscription made after connect, and every subscriber on the same topic", async () => {
    const { pub, endpoint } = await publisher();
    const a = own(new Subscriber({ linger: 0 }));
    const b = own(new Subscriber({ linger: 0, topics: ["t"] }));
    a.connect(endpoint);
    b.connect(endpoint);
    a.subscribe("t");
    await pub.waitForSubscribers(2, { topic: "t" });
    expect(pub.subscriberCount("t")).toBe(2);
    await pub.publish("t", ping(9n));
    expect(topicAndSeq(await next(a))).toEqual(["t", 9n]);
    expect(topicAndSeq(await next(b))).toEqual(["t", 9n]);
  });

  it("stops delivering a topic after unsubscribe, and the publisher sees it", async () => {
    const { pub, endpoint } = await publisher();
    const sub = own(new Subscriber({ linger: 0, topics: ["a", "b"] }));
    sub.connect(endpoint);
    await pub.waitForSubscribers(1, { topic: "a" });
    await pub.waitForSubscribers(1, { topic: "b" });

    sub.unsubscribe("a");
    // Subscription changes travel in order on one connection: once "z" is seen, so was "a"'s removal.
    sub.subscribe("z");
    await pub.waitForSubscribers(1, { topic: "z" });
    expect(pub.subscriberCount("a")).toBe(0);
    expect(pub.subscriberCount("b")).toBe(1);

    await pub.publish("a", ping(1n));
    await pub.publish("b", ping(2n));
    expect(topicAndSeq(await next(sub))).toEqual(["b", 2n]);
  });

  it("hands garbage payloads and wrong frame counts to the subscriber as error values, then continues", async () => {
    // A publisher we did not write (raw zeromq XPUB, so the test can await the subscription too).
    const raw = own(new zmq.XPublisher({ linger: 0 }));
    await raw.bind(bindAddress(kind));
    const sub = own(new Subscriber({ linger: 0, topics: [""] }));
    sub.connect(raw.lastEndpoint!);
    const [subscription] = await within(raw.receive(), "the subscription");
    expect([...subscription!]).toEqual([1]); // subscribe, empty prefix

    const good = Buffer.from(envelopeCodec.encode(ping(5n)));
    await raw.send(["t", GARBAGE]);
    await raw.send(["only-one-frame"]);
    await raw.send(["t", good, Buffer.from("extra")]);
    await raw.send(["t", good]);

    const garbage = await next(sub);
    expect(garbage).toMatchObject({ ok: false, topic: "t", frames: [Buffer.from("t"), GARBAGE] });
    expect(!garbage.ok && garbage.error).toBeInstanceOf(DecodeError);

    for (const frameCount of [1, 3]) {
      const bad = await next(sub);
      expect(bad.ok).toBe(false);
      if (!bad.ok) {
        expect(bad.error).toBeInstanceOf(FrameError);
        expect((bad.error as FrameError).frameCount).toBe(frameCount);
        expect(bad.frames).toHaveLength(frameCount);
      }
    }
    expect(topicAndSeq(await next(sub))).toEqual(["t", 5n]);
    expect(sub.counters).toEqual({ received: 4, sent: 0, decodeErrors: 1, frameErrors: 2 });
  });

  it("waitForSubscribers rejects with TIMEOUT when nobody subscribes, and with CLOSED on close", async () => {
    const { pub } = await publisher();
    await expect(pub.waitForSubscribers(1, { timeoutMs: 50 })).rejects.toMatchObject({
      name: "TransportError",
      code: "TIMEOUT",
    });

    const waiting = pub.waitForSubscribers(1, { timeoutMs: 60_000 });
    pub.close();
    const error = await within(
      waiting.catch((e: unknown) => e),
      "waitForSubscribers to reject on close",
    );
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe("CLOSED");
    await expect(pub.waitForSubscribers(1)).rejects.toMatchObject({ code: "CLOSED" });
  });
});
