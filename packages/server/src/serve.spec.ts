// The wire contract (docs/wire.md) with the reference peers: REQ (one frame), DEALER without and with the
// delimiter, echo.
import { describe, expect, it } from "vitest";
import { envelopeCodec, ping, pong } from "@zpb/proto";
import type { RunningServer } from "./index.js";
import { dealer, mainEndpoint, reqEnvelope, reqRoundTrip, withTestServer } from "./test-support/server.js";

describe("a running server", () => {
  let server: RunningServer;
  withTestServer({ bind: ["tcp://127.0.0.1:*", "tcp://127.0.0.1:*"] }, (started) => {
    server = started;
  });

  it("binds every endpoint given and reports the ports it got", () => {
    expect(server.endpoints.main).toHaveLength(2);
    for (const endpoint of server.endpoints.main) expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(server.endpoints.echo).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set([...server.endpoints.main, server.endpoints.echo]).size).toBe(3);
  });

  it("answers a REQ Ping (as the Rust prost + zmq example sends it) with a Pong carrying the same seq, on every endpoint", async () => {
    for (const [i, endpoint] of server.endpoints.main.entries()) {
      const seq = 42n + BigInt(i);
      expect(await reqEnvelope(endpoint, ping(seq))).toEqual(pong(seq));
    }
  });

  it("keeps the full uint64 range of seq", async () => {
    const max = 2n ** 64n - 1n;
    expect(await reqEnvelope(mainEndpoint(server), ping(max))).toEqual(pong(max));
  });

  it("answers a DEALER that sends a single frame (no delimiter) with a single frame", async () => {
    const client = dealer(mainEndpoint(server));
    try {
      await client.send(envelopeCodec.encode(ping(7n)));
      const reply = await client.receive();
      expect(reply).toHaveLength(1);
      expect(envelopeCodec.decode(reply[0]!)).toEqual(pong(7n));
    } finally {
      client.close();
    }
  });

  it("answers a DEALER that sends the empty delimiter (REQ-style) in the same shape", async () => {
    const client = dealer(mainEndpoint(server));
    try {
      await client.send([Buffer.alloc(0), envelopeCodec.encode(ping(8n))]);
      const reply = await client.receive();
      expect(reply).toHaveLength(2);
      expect(reply[0]!.length).toBe(0);
      expect(envelopeCodec.decode(reply[1]!)).toEqual(pong(8n));
    } finally {
      client.close();
    }
  });

  it("echoes raw bytes unchanged to a REQ client (as the REQ/REP echo tutorial's client sends them)", async () => {
    const hello = Buffer.from("Hello world!");
    expect(await reqRoundTrip(server.endpoints.echo!, hello)).toEqual([hello]);
    // Over 128 bytes zeromq moves frames zero-copy: the reply must still be the same bytes.
    const big = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
    expect(await reqRoundTrip(server.endpoints.echo!, big)).toEqual([big]);
    // An empty request is echoed as an empty reply.
    expect(await reqRoundTrip(server.endpoints.echo!, Buffer.alloc(0))).toEqual([Buffer.alloc(0)]);
  });

  it("spreads requests over the workers and counts them", async () => {
    const before = server.stats();
    const client = dealer(mainEndpoint(server));
    try {
      for (let i = 0; i < 200; i++) await client.send(envelopeCodec.encode(ping(BigInt(i))));
      for (let i = 0; i < 200; i++) await client.receive();
    } finally {
      client.close();
    }
    const after = server.stats();
    expect(after.total.requests - before.total.requests).toBe(200);
    expect(after.total.replies - before.total.replies).toBe(200);
    expect(after.workers).toHaveLength(2);
    for (const [i, counters] of after.workers.entries())
      expect(counters.requests - before.workers[i]!.requests).toBeGreaterThan(0);
    expect(after.share.reduce((a, b) => a + b, 0)).toBeCloseTo(1);
  });
});
