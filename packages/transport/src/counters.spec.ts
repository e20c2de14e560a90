// SocketCounters as an operator reads them: every message sent and received counted once, bad input counted
// by kind, nothing counted for a send that failed.
import { envelopeCodec, ping, pong } from "@zpb/proto";
import { within } from "@zpb/test-support";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { Dealer, Publisher, Replier, Requester, Router, TransportError } from "./index.js";
import { bindAddress, GARBAGE } from "./test-support/sockets.js";

const own = closeAfterEach();

describe("counters", () => {
  it("start at zero on every socket", () => {
    expect(own(new Dealer()).counters).toEqual({ received: 0, sent: 0, decodeErrors: 0, frameErrors: 0 });
  });

  it("count each request and reply once on both ends of REQ/REP", async () => {
    const replier = own(new Replier({ linger: 0 }));
    const requester = own(new Requester({ linger: 0, receiveTimeout: 5000 }));
    requester.connect(await replier.bind(bindAddress("inproc")));
    const serving = (async () => {
      for await (const m of replier) await replier.reply(m.ok ? pong(3n) : pong(0n));
    })();
    for (let i = 0; i < 3; i++) await within(requester.request(ping(i)), "a reply");
    expect(requester.counters).toEqual({ received: 3, sent: 3, decodeErrors: 0, frameErrors: 0 });
    expect(replier.counters).toEqual({ received: 3, sent: 3, decodeErrors: 0, frameErrors: 0 });
    replier.close();
    await serving;
  });

  it("count undecodable payloads and bad frame counts apart, each also as received", async () => {
    const router = own(new Router({ linger: 0 }));
    const endpoint = await router.bind(bindAddress("tcp"));
    const raw = new zmq.Dealer({ linger: 0 });
    try {
      raw.connect(endpoint);
      await raw.send([envelopeCodec.encode(ping(1n))]);
      await raw.send([GARBAGE]);
      await raw.send([Buffer.from("a"), Buffer.from("b"), Buffer.from("c")]); // three body frames
      for (let i = 0; i < 3; i++) await within(router.receive(), "a message");
    } finally {
      raw.close();
    }
    expect(router.counters).toEqual({ received: 3, sent: 0, decodeErrors: 1, frameErrors: 1 });
  });

  it("do not count a send that failed", async () => {
    const publisher = own(new Publisher({ linger: 0 }));
    await publisher.publish("t", ping(1n));
    expect(publisher.counters.sent).toBe(1);
    publisher.close();
    await expect(publisher.publish("t", ping(2n))).rejects.toBeInstanceOf(TransportError);
    expect(publisher.counters.sent).toBe(1);
  });
});
