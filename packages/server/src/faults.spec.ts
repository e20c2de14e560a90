// Bad input and failing handlers: every request gets an error reply (REQ peers never hang), the fault is
// counted by kind, and the worker keeps serving.
import { describe, expect, it } from "vitest";
import { ErrorCode, envelopeCodec, errorReply, ping, pong, type Envelope } from "@zpb/proto";
import type { CounterName, RunningServer } from "./index.js";
import {
  FAULTY_HANDLER,
  dealer,
  mainEndpoint,
  reqEnvelope,
  reqRoundTrip,
  startTestServer,
  withTestServer,
} from "./test-support/server.js";

const MAX_PAYLOAD = 256;

function decodeOne(frames: Buffer[]): Envelope {
  expect(frames.length).toBeGreaterThan(0);
  return envelopeCodec.decode(frames[frames.length - 1]!);
}

function errorOf(envelope: Envelope): { code: number; message: string; seq: bigint } {
  if (envelope.payload.case !== "error")
    throw new Error(`expected an error reply, got ${String(envelope.payload.case)}`);
  return envelope.payload.value;
}

describe("faults", () => {
  let server: RunningServer;
  let endpoint: string;
  withTestServer({ handler: FAULTY_HANDLER, maxPayload: MAX_PAYLOAD }, (started) => {
    server = started;
    endpoint = mainEndpoint(started);
  });

  /** Runs `act` and returns how much each counter moved. */
  async function counted(act: () => Promise<void>): Promise<Partial<Record<CounterName, number>>> {
    const before = server.stats().total;
    await act();
    const after = server.stats().total;
    const moved: Partial<Record<CounterName, number>> = {};
    for (const name of Object.keys(after) as CounterName[])
      if (after[name] !== before[name]) moved[name] = after[name] - before[name];
    return moved;
  }

  async function stillServes(): Promise<void> {
    expect(await reqEnvelope(endpoint, ping(99n))).toEqual(pong(99n));
  }

  it("answers an undecodable payload with CODE_DECODE (seq 0) and counts it", async () => {
    let reply: Envelope | undefined;
    const moved = await counted(async () => {
      reply = decodeOne(await reqRoundTrip(endpoint, Buffer.from([0x0a, 0xff])));
    });
    expect(errorOf(reply!)).toMatchObject({ code: ErrorCode.CODE_DECODE, seq: 0n });
    expect(moved).toEqual({ requests: 1, replies: 1, decodeErrors: 1 });
    await stillServes();
  });

  it("answers an Envelope with no payload it knows, and a Pong sent as a request, with CODE_UNKNOWN_PAYLOAD", async () => {
    const moved = await counted(async () => {
      // Field 9 is unknown to the schema: the reference peers (Rust prost, Python protobuf) and we decode it as
      // an Envelope with no payload.
      expect(errorOf(decodeOne(await reqRoundTrip(endpoint, Buffer.from([0x4a, 0x00])))).code).toBe(
        ErrorCode.CODE_UNKNOWN_PAYLOAD,
      );
      expect(errorOf(decodeOne(await reqRoundTrip(endpoint, Buffer.alloc(0)))).code).toBe(
        ErrorCode.CODE_UNKNOWN_PAYLOAD,
      );
      const answer = errorOf(await reqEnvelope(endpoint, pong(77n)));
      expect(answer).toMatchObject({ code: ErrorCode.CODE_UNKNOWN_PAYLOAD, seq: 77n });
    });
    expect(moved).toEqual({ requests: 3, replies: 3, unknownPayload: 3 });
    await stillServes();
  });

  it("answers a wrong frame count with CODE_BAD_FRAMES, to DEALER and REQ peers alike", async () => {
    const moved = await counted(async () => {
      const client = dealer(endpoint);
      try {
        // Two payload frames, no delimiter.
        await client.send([envelopeCodec.encode(ping(1n)), envelopeCodec.encode(ping(2n))]);
        const reply = await client.receive();
        expect(reply).toHaveLength(1);
        expect(errorOf(decodeOne(reply)).code).toBe(ErrorCode.CODE_BAD_FRAMES);
      } finally {
        client.close();
      }
      // A REQ sending a two-part message still gets its (one) reply.
      const reply = await reqRoundTrip(endpoint, [envelopeCodec.encode(ping(1n)), Buffer.from("extra")]);
      expect(errorOf(decodeOne(reply)).code).toBe(ErrorCode.CODE_BAD_FRAMES);
    });
    expect(moved).toEqual({ requests: 2, replies: 2, badFrames: 2 });
    await stillServes();
  });

  it("answers a payload over maxPayload with CODE_TOO_LARGE, and echo answers it with an empty frame", async () => {
    const big = Buffer.alloc(MAX_PAYLOAD + 1, 0x41);
    const moved = await counted(async () => {
      expect(errorOf(decodeOne(await reqRoundTrip(endpoint, big))).code).toBe(ErrorCode.CODE_TOO_LARGE);
      expect(await reqRoundTrip(server.endpoints.echo!, big)).toEqual([Buffer.alloc(0)]);
      // At the limit exactly, echo still echoes.
      const atLimit = Buffer.alloc(MAX_PAYLOAD, 0x42);
      expect(await reqRoundTrip(server.endpoints.echo!, atLimit)).toEqual([atLimit]);
    });
    expect(moved).toEqual({ requests: 3, replies: 3, tooLarge: 2 });
    await stillServes();
  });

  it("answers a handler that throws, rejects, or returns something unencodable with CODE_HANDLER", async () => {
    const moved = await counted(async () => {
      expect(errorOf(await reqEnvelope(endpoint, ping(1n)))).toMatchObject({ code: ErrorCode.CODE_HANDLER, seq: 1n });
      expect(errorOf(await reqEnvelope(endpoint, ping(1n))).message).toContain("sync boom");
      expect(errorOf(await reqEnvelope(endpoint, ping(2n)))).toMatchObject({ code: ErrorCode.CODE_HANDLER, seq: 2n });
      expect(errorOf(await reqEnvelope(endpoint, ping(4n)))).toMatchObject({ code: ErrorCode.CODE_HANDLER, seq: 4n });
    });
    expect(moved).toEqual({ requests: 4, replies: 4, handlerErrors: 4 });
    await stillServes();
  });

  it("lets a handler pick the code with RequestError", async () => {
    expect(await reqEnvelope(endpoint, ping(3n))).toEqual(
      errorReply(ErrorCode.CODE_UNAVAILABLE, "come back later", 3n),
    );
  });

  it("answers pipelined async and sync requests, each exactly once", async () => {
    const client = dealer(endpoint);
    const seqs = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 5n : i % 3 === 1 ? 2n : BigInt(1000 + i)));
    try {
      for (const seq of seqs) await client.send(envelopeCodec.encode(ping(seq)));
      const answers = new Map<string, number>();
      for (let i = 0; i < seqs.length; i++) {
        const reply = decodeOne(await client.receive());
        const key = `${reply.payload.case}:${reply.payload.case === undefined ? "" : reply.payload.value.seq}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
      }
      expect(answers.get("pong:5")).toBe(100);
      expect(answers.get("error:2")).toBe(100);
      for (const seq of seqs.filter((s) => s >= 1000n)) expect(answers.get(`pong:${seq}`)).toBe(1);
    } finally {
      client.close();
    }
  });

  it("drops a peer that sends a frame over the hard cap (maxMessageSize), and serves everyone else", async () => {
    const capped = await startTestServer({ maxPayload: 100, maxMessageSize: 1000, echo: false });
    try {
      const abuser = dealer(mainEndpoint(capped), 500);
      try {
        await abuser.send(Buffer.alloc(5000, 0x41));
        await expect(abuser.receive()).rejects.toMatchObject({ code: "EAGAIN" });
      } finally {
        abuser.close();
      }
      // Between the app limit and the cap: answered with CODE_TOO_LARGE.
      expect(errorOf(decodeOne(await reqRoundTrip(mainEndpoint(capped), Buffer.alloc(500, 0x41)))).code).toBe(
        ErrorCode.CODE_TOO_LARGE,
      );
      expect(await reqEnvelope(mainEndpoint(capped), ping(1234n))).toEqual(pong(1234n));
      expect(capped.stats().total.requests).toBe(2);
    } finally {
      await capped.stop();
    }
  });
});
