import { afterEach, describe, expect, it } from "vitest";
import { ping, seqOf } from "@zpb/proto";
import { Forwarder } from "./forwarder.js";
import { Publisher } from "./publish.js";
import { Subscriber, type Published } from "./subscribe.js";
import type { Envelope } from "@zpb/proto";

const ANY = "tcp://127.0.0.1:*";
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function own<S extends { close(): void }>(socket: S): S {
  closers.push(() => socket.close());
  return socket;
}

async function received(sub: Subscriber, count: number): Promise<Array<[string, bigint | undefined]>> {
  const got: Array<[string, bigint | undefined]> = [];
  while (got.length < count) {
    const m = (await sub.receive()) as Published<Envelope>;
    got.push([m.topic, m.ok ? seqOf(m.message) : undefined]);
  }
  return got;
}

describe("Forwarder (XSUB → XPUB)", () => {
  it("carries many publishers to many subscribers through one address pair, with topic filters and subscriptions flowing back", async () => {
    const forwarder = await Forwarder.start({ publishers: ANY, subscribers: ANY, linger: 0 });
    closers.push(() => forwarder.stop());
    expect(forwarder.endpoints.publishers).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const [quotes, trades] = [new Publisher({ linger: 0 }), new Publisher({ linger: 0 })].map(own) as [
      Publisher,
      Publisher,
    ];
    quotes.connect(forwarder.endpoints.publishers);
    trades.connect(forwarder.endpoints.publishers);
    const all = own(new Subscriber({ linger: 0, topics: [""], receiveTimeout: 5000 }));
    const onlyTrades = own(new Subscriber({ linger: 0, topics: ["trade"], receiveTimeout: 1000 }));
    all.connect(forwarder.endpoints.subscribers);
    onlyTrades.connect(forwarder.endpoints.subscribers);
    // Subscriptions reach each publisher through the forwarder: no sleeping for slow joiners.
    await quotes.waitForSubscribers(1, { topic: "trade" });
    await trades.waitForSubscribers(1, { topic: "trade" });

    for (let seq = 1n; seq <= 100n; seq++) {
      await quotes.publish("quote", ping(seq));
      await trades.publish("trade", ping(seq));
    }
    const everything = await received(all, 200);
    const byTopic = (topic: string) => everything.filter(([t]) => t === topic).map(([, seq]) => seq);
    const inOrder = Array.from({ length: 100 }, (_, i) => BigInt(i + 1));
    expect(byTopic("quote")).toEqual(inOrder);
    expect(byTopic("trade")).toEqual(inOrder);
    expect((await received(onlyTrades, 100)).map(([t, seq]) => `${t}${seq}`)).toEqual(inOrder.map((s) => `trade${s}`));
    await expect(onlyTrades.receive()).rejects.toThrow(); // no quote ever reached the trade-only subscriber
  });

  it("fails to start on an endpoint already bound, and leaves nothing open", async () => {
    const first = await Forwarder.start({ publishers: ANY, subscribers: ANY, linger: 0 });
    closers.push(() => first.stop());
    await expect(
      Forwarder.start({ publishers: ANY, subscribers: first.endpoints.subscribers, linger: 0 }),
    ).rejects.toMatchObject({ code: "SOCKET" });
  });
});
