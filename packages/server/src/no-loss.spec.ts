// Nothing lost. The tests that fill the reply queue are the 20 000-request ones: the client reads nothing
// until every request is out, so replies pile up at the server far past libzmq's default HWM (1000) and
// past what the kernel's socket buffers absorb (with `--reply-hwm 1000` they lose replies; 5 000 small
// replies do not fill it). The others prove pipelining: every reply exactly once, in the shape it was asked
// (with and without the delimiter), also with clients side by side, and serving on after clients leave.
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { envelopeCodec, ping, pong } from "@zpb/proto";
import { FAULTY_HANDLER, dealer, mainEndpoint, reqEnvelope, sleep, withTestServer } from "./test-support/server.js";

const WINDOW = 5000;

/**
 * Sends `count` pings from `client` (optionally REQ-style with the delimiter), reading replies either while
 * sending or only once every request is out; returns the seqs seen.
 */
async function pipeline(
  client: zmq.Dealer,
  count: number,
  first: number,
  delimited: boolean,
  readWhileSending: boolean,
): Promise<bigint[]> {
  const seen: bigint[] = [];
  const read = async (): Promise<void> => {
    for (let i = 0; i < count; i++) {
      const frames = await client.receive();
      expect(frames).toHaveLength(delimited ? 2 : 1);
      const reply = envelopeCodec.decode(frames[frames.length - 1]!);
      if (reply.payload.case !== "pong") throw new Error(`expected pong, got ${String(reply.payload.case)}`);
      seen.push(reply.payload.value.seq);
    }
  };
  const reading = readWhileSending ? read() : undefined;
  for (let i = 0; i < count; i++) {
    const payload = envelopeCodec.encode(ping(BigInt(first + i)));
    await client.send(delimited ? [Buffer.alloc(0), payload] : payload);
  }
  await (reading ?? read());
  return seen;
}

function expectEveryOnce(seen: bigint[], first: number, count: number): void {
  expect(seen).toHaveLength(count);
  const sorted = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [i, seq] of sorted.entries()) expect(seq).toBe(BigInt(first + i));
}

describe("nothing lost", () => {
  let endpoint: string;
  // Unbounded reply queues (the default bounds them: a client past --reply-hwm unread replies is a slow
  // consumer, see README "Hardening"): what is proved here is that the server itself loses nothing.
  withTestServer({ handler: FAULTY_HANDLER, replyHighWaterMark: 0 }, (started) => {
    endpoint = mainEndpoint(started);
  });

  it(`a DEALER pipelining ${WINDOW} single-frame requests (reading as it sends) gets every reply once`, async () => {
    const client = dealer(endpoint, 20_000);
    try {
      expectEveryOnce(await pipeline(client, WINDOW, 100_000, false, true), 100_000, WINDOW);
    } finally {
      client.close();
    }
  });

  it(`a DEALER pipelining ${WINDOW} REQ-style (delimited) requests gets every reply once, delimited`, async () => {
    const client = dealer(endpoint, 20_000);
    try {
      expectEveryOnce(await pipeline(client, WINDOW, 200_000, true, true), 200_000, WINDOW);
    } finally {
      client.close();
    }
  });

  it.each([
    ["single-frame", false],
    ["REQ-style (delimited)", true],
  ])("a client that sends 20000 %s requests before reading any reply gets all of them", async (_, delimited) => {
    // Its replies pile up at the server (its receive HWM is full): a plain ROUTER would drop them there.
    const client = new zmq.Dealer({ linger: 0, receiveTimeout: 20_000, sendHighWaterMark: 0 });
    client.connect(endpoint);
    try {
      expectEveryOnce(await pipeline(client, 20_000, 300_000, delimited, false), 300_000, 20_000);
    } finally {
      client.close();
    }
  });

  it("three clients pipelining side by side (reading while they send) each get exactly their own replies", async () => {
    const clients = [0, 1, 2].map(() => dealer(endpoint, 20_000));
    try {
      const results = await Promise.all(clients.map((c, i) => pipeline(c, 3000, 1_000_000 * (i + 1), i === 1, true)));
      for (const [i, seen] of results.entries()) expectEveryOnce(seen, 1_000_000 * (i + 1), 3000);
    } finally {
      for (const c of clients) c.close();
    }
  });

  it("keeps serving after clients leave with replies still owed to them", async () => {
    // A reply to a vanished peer is dropped by the front; with ROUTER_MANDATORY it would stop libzmq's proxy for good.
    for (let i = 0; i < 3; i++) {
      const leaver = dealer(endpoint);
      await leaver.send(envelopeCodec.encode(ping(13n))); // answered after 300 ms
      // Plain pings (seqs from 10 000: the faulty handler's fault seqs are all below 100).
      for (let j = 0; j < 50; j++) await leaver.send(envelopeCodec.encode(ping(BigInt(10_000 + j))));
      leaver.close();
    }
    await sleep(400);
    expect(await reqEnvelope(endpoint, ping(4242n))).toEqual(pong(4242n));
  });
});

describe("on the default reply bound (--reply-hwm)", () => {
  let endpoint: string;
  withTestServer({ handler: FAULTY_HANDLER }, (started) => {
    endpoint = mainEndpoint(started);
  });

  it("a client that keeps 1,000 requests in flight and reads in bursts loses no reply", async () => {
    // libzmq tells a pipe's writer of reads only every (HWM + 1) / 2 messages, so a queue may look full with
    // half that many actually unread: at --reply-hwm 1000 such a client lost 300-380 replies per 100,000.
    const client = dealer(endpoint, 20_000);
    const total = 20_000;
    const window = 1000;
    let sent = 0;
    const seen: bigint[] = [];
    const send = () => client.send(envelopeCodec.encode(ping(BigInt(500_000 + sent++))));
    try {
      while (sent < window) await send();
      while (seen.length < total) {
        const reply = envelopeCodec.decode((await client.receive())[0]!);
        if (reply.payload.case !== "pong") throw new Error(`expected pong, got ${String(reply.payload.case)}`);
        seen.push(reply.payload.value.seq);
        if (sent < total) await send();
        // A burst reader: replies pile up at the server while it pauses, the window stays full.
        if (seen.length % 250 === 0) await sleep(15);
      }
      expectEveryOnce(seen, 500_000, total);
    } finally {
      client.close();
    }
  });
});
