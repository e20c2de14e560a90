// The batch wire on every pattern that carries it (docs/wire.md, "Batches"), over real sockets.
import { randomUUID } from "node:crypto";
import { BATCH_MARKER, DecodeError, envelopeCodec, joinBatch, ping, pong, type Envelope } from "@zpb/proto";
import { within } from "@zpb/test-support";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { Dealer } from "./dealer.js";
import { FrameError } from "./errors.js";
import { Publisher } from "./publish.js";
import { Router } from "./router.js";
import { Subscriber } from "./subscribe.js";

const EMPTY = Buffer.alloc(0);
const bytes = (message: Envelope) => Buffer.from(envelopeCodec.encode(message));
const hexes = (frames: Buffer[]) => frames.map((f) => f.toString("hex"));

const open: Array<{ close(): void }> = [];
function own<S extends { close(): void }>(socket: S): S {
  open.push(socket);
  return socket;
}
afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

const address = (kind: "tcp" | "inproc") =>
  kind === "tcp" ? "tcp://127.0.0.1:*" : `inproc://zpb-batch-${randomUUID()}`;

describe.each(["tcp", "inproc"] as const)("batches over %s", (kind) => {
  it.each([false, true])(
    "DEALER (delimiter %s) → ROUTER: one batch in, one batch back in the peer's shape",
    async (delimiter) => {
      const router = own(new Router({ linger: 0 }));
      const endpoint = await router.bind(address(kind));
      const dealer = own(new Dealer({ linger: 0, delimiter }));
      dealer.connect(endpoint);

      await dealer.sendBatch([ping(1), ping(2), ping(3)]);
      const request = (await within(router.receiveMany(), "the batch"))!;
      expect(request.batch).toBe(true);
      expect(request.peer.delimited).toBe(delimiter);
      expect(request.items.map((item) => item.ok && item.message)).toEqual([ping(1), ping(2), ping(3)]);
      expect(router.counters.received).toBe(3);

      await router.replyBatchBytes(request.peer, joinBatch([bytes(pong(1)), bytes(pong(2)), bytes(pong(3))]), 3);
      const reply = (await within(dealer.receiveMany(), "the reply batch"))!;
      expect(reply.batch).toBe(true);
      expect(reply.frames.length).toBe(delimiter ? 3 : 2);
      expect(reply.items.map((item) => item.ok && item.message)).toEqual([pong(1), pong(2), pong(3)]);
      expect(dealer.counters).toMatchObject({ sent: 3, received: 3 });
      expect(router.counters.sent).toBe(3);
    },
  );

  it("receive() hands a batch out one message at a time, then goes back to the socket", async () => {
    const router = own(new Router({ linger: 0 }));
    const endpoint = await router.bind(address(kind));
    const dealer = own(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.sendBatch([ping(7), ping(8)]);
    await dealer.send(ping(9));
    const seen: Array<bigint | undefined> = [];
    for (let i = 0; i < 3; i++) {
      const m = (await within(router.receive(), `message ${i}`))!;
      seen.push(m.ok && m.message.payload.case === "ping" ? m.message.payload.value.seq : undefined);
      expect(m.peer.identity.length).toBeGreaterThan(0);
    }
    expect(seen).toEqual([7n, 8n, 9n]);
  });

  it("a batch over the receiver's limits is refused as a whole; a bad item spoils only itself", async () => {
    const router = own(new Router({ linger: 0, batchLimits: { maxItems: 2 } }));
    const endpoint = await router.bind(address(kind));
    const dealer = own(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.sendBatch([ping(1), ping(2), ping(3)]);
    const refused = (await within(router.receiveMany(), "the refused batch"))!;
    expect(refused.items).toEqual([]);
    expect(refused.refused).toBeInstanceOf(DecodeError);
    expect(refused.refused?.code).toBe("TOO_MANY_ITEMS");

    await dealer.sendBatchBytes(joinBatch([bytes(ping(4)), Buffer.from([0xff, 0xff])]), 2);
    const mixed = (await within(router.receiveMany(), "the mixed batch"))!;
    expect(mixed.items[0]).toMatchObject({ ok: true, message: ping(4) });
    expect(mixed.items[1]!.ok).toBe(false);
    expect(router.counters.decodeErrors).toBe(2);
  });

  it("PUB → SUB: [topic, marker, batch] arrives as messages in order, under the topic, filtered by it", async () => {
    const publisher = own(new Publisher({ linger: 0 }));
    const endpoint = await publisher.bind(address(kind));
    const subscriber = own(new Subscriber({ linger: 0, topics: ["PING"] }));
    subscriber.connect(endpoint);
    await within(publisher.waitForSubscribers(1, { topic: "PING" }), "the subscription");
    await publisher.publishBatch("OTHER", [ping(100)]);
    await publisher.publishBatch("PING", [ping(1), ping(2)]);
    await publisher.publish("PING", ping(3));
    await publisher.publishBatch("PING", [ping(4)]);
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = (await within(subscriber.receive(), `message ${i}`))!;
      got.push(`${m.topic}:${m.ok && m.message.payload.case === "ping" ? m.message.payload.value.seq : "?"}`);
    }
    expect(got).toEqual(["PING:1", "PING:2", "PING:3", "PING:4"]);
    expect(publisher.counters.sent).toBe(5);
  });
});

describe("batch frames on the wire, seen by plain zeromq sockets", () => {
  it("our Dealer sends exactly [marker, batch]; a plain DEALER's [marker, batch] reaches our Router as a batch", async () => {
    const endpoint = `inproc://zpb-batch-${randomUUID()}`;
    const plainRouter = own(new zmq.Router({ linger: 0 }));
    await plainRouter.bind(endpoint);
    const dealer = own(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.sendBatch([ping(1), ping(300)]);
    const [, ...body] = await within(plainRouter.receive(), "the raw batch");
    expect(hexes(body)).toEqual([BATCH_MARKER.toString("hex"), "040a020801050a0308ac02"]);

    const router = own(new Router({ linger: 0 }));
    const routerEndpoint = `inproc://zpb-batch-${randomUUID()}`;
    await router.bind(routerEndpoint);
    const plainDealer = own(new zmq.Dealer({ linger: 0 }));
    plainDealer.connect(routerEndpoint);
    await plainDealer.send([EMPTY, BATCH_MARKER, Buffer.from("040a02080100", "hex")]);
    const received = (await within(router.receiveMany(), "the plain dealer's batch"))!;
    expect(received.peer.delimited).toBe(true);
    expect(received.items.map((item) => item.ok && item.message)).toEqual([ping(1), { payload: { case: undefined } }]);
  });

  it("three body frames without the marker are still bad frames, not a batch", async () => {
    const endpoint = `inproc://zpb-batch-${randomUUID()}`;
    const router = own(new Router({ linger: 0 }));
    await router.bind(endpoint);
    const plainDealer = own(new zmq.Dealer({ linger: 0 }));
    plainDealer.connect(endpoint);
    await plainDealer.send([Buffer.from("zpb.batch.v2"), bytes(ping(1))]);
    const received = (await within(router.receiveMany(), "the message"))!;
    expect(received.batch).toBe(false);
    expect(received.items[0]!.ok).toBe(false);
    expect(!received.items[0]!.ok && received.items[0]!.error).toBeInstanceOf(FrameError);
  });
});
