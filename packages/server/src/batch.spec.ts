// Batches through a real server (docs/wire.md, "Batches"): front ROUTER, proxy, 2 worker threads.
import { ErrorCode, envelopeCodec, joinBatch, ping, pong, type Envelope } from "@zpb/proto";
import { Dealer } from "@zpb/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./index.js";

/** Every receive is bounded by the socket itself (ZMQ_RCVTIMEO): a missing reply fails the test, never hangs it. */
const WAIT_MS = 10_000;

const messages = (incoming: Awaited<ReturnType<Dealer["receiveMany"]>>): Envelope[] =>
  incoming!.items.map((item) => (item.ok ? item.message : { payload: { case: undefined } }));

describe("a running server, batches", () => {
  let server: RunningServer;
  const dealers: Dealer[] = [];
  const dealer = (delimiter = false) => {
    const d = new Dealer({ linger: 0, delimiter, receiveTimeout: WAIT_MS });
    d.connect(server.endpoints.main[0]!);
    dealers.push(d);
    return d;
  };

  beforeAll(async () => {
    server = await startServer({ bind: ["tcp://127.0.0.1:*"], echo: false, workers: 2, maxBatchItems: 100 });
  });
  afterAll(async () => {
    for (const d of dealers) d.close();
    await server?.stop();
  });

  it.each([false, true])(
    "answers a batch (delimiter %s) with one batch of pongs in request order",
    async (delimiter) => {
      const client = dealer(delimiter);
      const seqs = Array.from({ length: 100 }, (_, i) => BigInt(i + 1));
      await client.sendBatch(seqs.map((seq) => ping(seq)));
      const reply = await client.receiveMany();
      expect(reply!.batch).toBe(true);
      expect(reply!.frames.length).toBe(delimiter ? 3 : 2);
      expect(messages(reply)).toEqual(seqs.map((seq) => pong(seq)));
    },
  );

  it("many batches in flight over both workers: every reply batch matches its request batch", async () => {
    const client = dealer();
    for (let b = 0; b < 50; b++) await client.sendBatch(Array.from({ length: 20 }, (_, i) => ping(b * 20 + i + 1)));
    const firsts = new Set<bigint>();
    for (let b = 0; b < 50; b++) {
      const got = messages(await client.receiveMany());
      const first = (got[0]!.payload as { value: { seq: bigint } }).value.seq;
      expect(got).toEqual(Array.from({ length: 20 }, (_, i) => pong(first + BigInt(i))));
      firsts.add(first);
    }
    expect(firsts.size).toBe(50);
  });

  it("an undecodable item gets its own ErrorReply; the others their pongs", async () => {
    const client = dealer();
    const frame = joinBatch([envelopeCodec.encode(ping(1)), Buffer.from([0xff, 0xff]), envelopeCodec.encode(ping(3))]);
    await client.sendBatchBytes(frame, 3);
    const got = messages(await client.receiveMany());
    expect(got[0]).toEqual(pong(1));
    expect(got[1]!.payload).toMatchObject({ case: "error", value: { code: ErrorCode.CODE_DECODE } });
    expect(got[2]).toEqual(pong(3));
  });

  it("a batch over max-batch-items is refused whole: one single-frame CODE_TOO_LARGE keyed by its first seq", async () => {
    const client = dealer();
    await client.sendBatch(Array.from({ length: 101 }, (_, i) => ping(500 + i)));
    const reply = await client.receiveMany();
    expect(reply!.batch).toBe(false);
    expect(messages(reply)[0]!.payload).toMatchObject({
      case: "error",
      value: { code: ErrorCode.CODE_TOO_LARGE, seq: 500n },
    });
    // and the server keeps serving
    await client.sendBatch([ping(1), ping(2)]);
    expect(messages(await client.receiveMany())).toEqual([pong(1), pong(2)]);
  });

  it("counts every request of a batch in its stats", async () => {
    const before = server.stats().total.requests;
    const client = dealer();
    await client.sendBatch(Array.from({ length: 30 }, (_, i) => ping(i + 1)));
    await client.receiveMany();
    expect(server.stats().total.requests - before).toBe(30);
  });
});
