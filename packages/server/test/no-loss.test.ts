// Nothing lost: clients pipelining far past libzmq's default HWM (1000) get every reply, exactly once —
// also a client that sends everything before it reads a single reply, and clients that leave early.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { envelopeCodec, ping, pong } from "@zpb/proto";
import type { RunningServer } from "../src/index.js";
import { FAULTY_HANDLER, dealer, mainEndpoint, reqEnvelope, sleep, startTestServer } from "./support.js";

const WINDOW = 5000;

/** Sends `count` pings from `client` (optionally REQ-style with the delimiter) while reading replies; returns the seqs seen. */
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
  let server: RunningServer;
  let endpoint: string;
  beforeAll(async () => {
    // Unbounded reply queues (the default bounds them: a client past --reply-hwm unread replies is a slow
    // consumer, see README "Hardening"): what is proved here is that the server itself loses nothing.
    server = await startTestServer({ handler: FAULTY_HANDLER, replyHighWaterMark: 0 });
    endpoint = mainEndpoint(server);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it(`a DEALER with ${WINDOW} single-frame requests in flight gets every reply`, async () => {
    const client = dealer(endpoint, 20_000);
    try {
      expectEveryOnce(await pipeline(client, WINDOW, 100_000, false, true), 100_000, WINDOW);
    } finally {
      client.close();
    }
  });

  it(`a DEALER with REQ-style delimiters and ${WINDOW} in flight gets every reply, delimited`, async () => {
    const client = dealer(endpoint, 20_000);
    try {
      expectEveryOnce(await pipeline(client, WINDOW, 200_000, true, true), 200_000, WINDOW);
    } finally {
      client.close();
    }
  });

  it("a client that sends 20000 requests before reading any reply gets all of them", async () => {
    // Its replies pile up at the server (its receive HWM is full): a plain ROUTER would drop them there.
    const client = new zmq.Dealer({ linger: 0, receiveTimeout: 20_000, sendHighWaterMark: 0 });
    client.connect(endpoint);
    try {
      expectEveryOnce(await pipeline(client, 20_000, 300_000, false, false), 300_000, 20_000);
    } finally {
      client.close();
    }
  });

  it("three clients pipelining at once each get exactly their own replies", async () => {
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
