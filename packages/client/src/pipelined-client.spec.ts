import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode, ZpbError, errorReply, ping, pong, rawCodec, seqOf, type Envelope } from "@zpb/proto";
import { PipelinedClient } from "./pipelined-client.js";
import { AbortedError, BadReplyError, ClientError, ClosedError, RemoteError, TimeoutError } from "./errors.js";
import {
  BatchRouter,
  echoServer,
  pongServer,
  ScriptedRouter,
  silentServer,
  type TestServer,
} from "./test-support/servers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scripted(): Promise<ScriptedRouter> {
  const router = await new ScriptedRouter().start();
  cleanups.push(() => router.close());
  return router;
}

function client<T = Envelope>(...options: ConstructorParameters<typeof PipelinedClient<T>>): PipelinedClient<T> {
  const c = new PipelinedClient<T>(...options);
  cleanups.push(() => c.close());
  return c;
}

const seqsOf = (router: ScriptedRouter) => router.requests.map((r) => seqOf(r.message));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PipelinedClient", () => {
  it("matches out-of-order replies to their requests by seq", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, window: 10, timeoutMs: 5000 });
    const replies = [1, 2, 3, 4, 5].map((n) => c.request(ping(n)));
    await router.waitFor(5);
    expect(seqsOf(router)).toEqual([1n, 2n, 3n, 4n, 5n]);
    // Answer in a scrambled order: each caller must still get the pong carrying its own seq.
    for (const index of [4, 2, 0, 3, 1]) await router.reply(index, pong(seqOf(router.requests[index]!.message)!));
    const got = await Promise.all(replies);
    expect(got.map((m) => seqOf(m))).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(got.every((m) => m.payload.case === "pong")).toBe(true);
    expect(c.stats).toMatchObject({ sent: 5, replies: 5, unmatched: 0, timeouts: 0 });
    expect(c.pending).toBe(0);
  });

  it("counts replies that match nothing (unknown, duplicate, undecodable) instead of throwing", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const first = c.request(ping(1));
    await router.waitFor(1);
    await router.reply(0, pong(99)); // nobody asked for 99
    await router.reply(0, pong(1));
    await expect(first).resolves.toEqual(pong(1));
    await router.reply(0, pong(1)); // a duplicate of an answered request
    await router.replyBytes(0, Uint8Array.of(0xff, 0xff, 0xff)); // not an Envelope
    // The client keeps working after all that.
    const second = c.request(ping(2));
    await router.waitFor(2);
    await router.reply(1, pong(2));
    await expect(second).resolves.toEqual(pong(2));
    expect(c.stats).toMatchObject({ replies: 2, unmatched: 2, badReplies: 1 });
  });

  it("times out each request on its own; a late reply is counted as unmatched", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const started = Date.now();
    const short = c.request(ping(1), { timeoutMs: 150 });
    const long = c.request(ping(2));
    await router.waitFor(2);
    const error = await short.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe("TIMEOUT");
    // its own 150 ms, not the client's 5000 ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(2500);
    await router.reply(0, pong(1)); // too late
    await router.reply(1, pong(2));
    await expect(long).resolves.toEqual(pong(2));
    expect(c.stats).toMatchObject({ timeouts: 1, replies: 1, unmatched: 1 });
  });

  it("keeps at most `window` requests in flight; later callers wait for a slot", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, window: 2, timeoutMs: 5000 });
    const replies = [1, 2, 3, 4, 5].map((n) => c.request(ping(n)));
    await router.waitFor(2);
    await sleep(150); // room for a wrongly sent third request to arrive
    expect(router.requests).toHaveLength(2);
    expect(c.pending).toBe(2);
    expect(c.waiting).toBe(3);
    await router.reply(1, pong(2)); // frees one slot: exactly one more goes out, the oldest waiter
    await router.waitFor(3);
    await sleep(100);
    expect(seqsOf(router)).toEqual([1n, 2n, 3n]);
    for (let i = 0; i < 5; i++) {
      await router.waitFor(i + 1);
      if (i !== 1) await router.reply(i, pong(BigInt(i + 1)));
    }
    expect((await Promise.all(replies)).map((m) => seqOf(m))).toEqual([1n, 2n, 3n, 4n, 5n]);
  });

  it("turns an ErrorReply into a RemoteError on the matching request only", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const bad = c.request(ping(7));
    const good = c.request(ping(8));
    await router.waitFor(2);
    await router.reply(0, errorReply(ErrorCode.CODE_UNKNOWN_PAYLOAD, "nope", 7));
    await router.reply(1, pong(8));
    const error = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({
      code: "REMOTE",
      remoteCode: ErrorCode.CODE_UNKNOWN_PAYLOAD,
      remoteMessage: "nope",
      seq: 7n,
    });
    await expect(good).resolves.toEqual(pong(8));
  });

  it("refuses a request whose key is already in flight, or that has no key", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const first = c.request(ping(1));
    await expect(c.request(ping(1))).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(c.request({ payload: { case: undefined } })).rejects.toBeInstanceOf(ClientError);
    await expect(c.request({ payload: { case: undefined } })).rejects.toBeInstanceOf(ZpbError);
    await router.waitFor(1);
    await router.reply(0, pong(1));
    await first;
    expect(router.requests).toHaveLength(1);
  });

  it("aborts a request through its signal and frees its slot", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, window: 1, timeoutMs: 5000 });
    const controller = new AbortController();
    const aborted = c.request(ping(1), { signal: controller.signal });
    const next = c.request(ping(2));
    await router.waitFor(1);
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    await router.waitFor(2);
    await router.reply(1, pong(2));
    await expect(next).resolves.toEqual(pong(2));
  });

  it("one signal shared by many requests (in flight and waiting) aborts them all, without a listener leak warning", async () => {
    const router = await scripted();
    const c = client({ endpoint: router.endpoint, window: 20, timeoutMs: 5000 });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const shutdown = new AbortController();
      const calls = Array.from({ length: 100 }, (_, i) => c.request(ping(i + 1), { signal: shutdown.signal }));
      await router.waitFor(20);
      shutdown.abort();
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes.every((o) => o.status === "rejected" && o.reason instanceof AbortedError)).toBe(true);
      expect(c.pending).toBe(0);
      expect(c.waiting).toBe(0);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("close() rejects requests in flight and waiting with ClosedError", async () => {
    const router = await scripted();
    const c = new PipelinedClient({ endpoint: router.endpoint, window: 1, timeoutMs: 5000 });
    const inFlight = c.request(ping(1));
    const waiting = c.request(ping(2));
    await router.waitFor(1);
    await c.close();
    await expect(inFlight).rejects.toBeInstanceOf(ClosedError);
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    await expect(c.request(ping(3))).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("serves many concurrent callers against a real pong server", async () => {
    const server: TestServer = await pongServer();
    cleanups.push(() => server.close());
    const c = client({ endpoint: server.endpoint, window: 32, timeoutMs: 5000 });
    const seqs = Array.from({ length: 2000 }, (_, i) => BigInt(i + 1));
    const replies = await Promise.all(seqs.map((seq) => c.request(ping(seq))));
    expect(replies.map((m) => seqOf(m))).toEqual(seqs);
    expect(c.stats).toMatchObject({ sent: 2000, replies: 2000, unmatched: 0, timeouts: 0 });
  });

  it("matches by a caller's key function on a raw codec, with the REQ-style delimiter", async () => {
    const server = await echoServer();
    cleanups.push(() => server.close());
    const keyOf = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8").split(":")[0];
    const c = client<Uint8Array>({
      endpoint: server.endpoint,
      codec: rawCodec,
      keyOf,
      remoteError: null,
      delimiter: true,
      timeoutMs: 5000,
    });
    const texts = ["a:1", "b:2", "c:3"];
    const replies = await Promise.all(texts.map((t) => c.request(Buffer.from(t))));
    expect(replies.map((r) => Buffer.from(r).toString())).toEqual(texts);
  });
});

async function batchRouter(autoPong = false): Promise<BatchRouter> {
  const router = await new BatchRouter(autoPong).start();
  cleanups.push(() => router.close());
  return router;
}

const unitSeqs = (router: BatchRouter) =>
  router.units.map((u) => `${u.batch ? "batch" : "single"}:${u.messages.map((m) => seqOf(m)).join(",")}`);

describe("PipelinedClient batching (maxBatch > 1)", () => {
  it("packs the requests of one event-loop turn into one batch and unpacks the batched replies", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, maxBatch: 64, timeoutMs: 5000 });
    const replies = await Promise.all([1, 2, 3, 4, 5].map((n) => c.request(ping(n))));
    expect(replies).toEqual([1, 2, 3, 4, 5].map((n) => pong(n)));
    expect(unitSeqs(router)).toEqual(["batch:1,2,3,4,5"]);
    expect(c.stats).toMatchObject({ sent: 5, batches: 1, replies: 5, unmatched: 0, badReplies: 0 });
  });

  it("never puts more than maxBatch requests in one batch", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, maxBatch: 10, window: 100, timeoutMs: 5000 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => c.request(ping(i + 1))));
    expect(router.units.map((u) => u.messages.length)).toEqual([10, 10, 5]);
    expect(router.units.every((u) => u.batch)).toBe(true);
  });

  it("sends a lone request as a plain single frame, as with batching off", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, maxBatch: 100, timeoutMs: 5000 });
    await expect(c.request(ping(9))).resolves.toEqual(pong(9));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(c.request(ping(10))).resolves.toEqual(pong(10));
    expect(unitSeqs(router)).toEqual(["single:9", "single:10"]);
    expect(c.stats.batches).toBe(0);
  });

  it("with maxBatch 1 (the default) the same burst goes out one frame per request", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    await Promise.all([1, 2, 3].map((n) => c.request(ping(n))));
    expect(unitSeqs(router)).toEqual(["single:1", "single:2", "single:3"]);
  });

  it("an ErrorReply item fails only its own request", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, maxBatch: 8, timeoutMs: 5000 });
    const calls = [1, 2, 3].map((n) => c.request(ping(n)));
    await router.waitForRequests(3);
    await router.replyBatch(0, [pong(1), errorReply(ErrorCode.CODE_HANDLER, "boom", 2), pong(3)]);
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(RemoteError);
  });

  it("a single-frame ErrorReply to a batch (the server refused it whole) fails every request of that batch", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, maxBatch: 8, timeoutMs: 5000 });
    const refused = [1, 2, 3].map((n) => c.request(ping(n)));
    await router.waitForRequests(3);
    const later = c.request(ping(4));
    await router.waitForRequests(4);
    await router.replySingle(0, errorReply(ErrorCode.CODE_TOO_LARGE, "batch over 2 items", 1));
    const outcomes = await Promise.allSettled(refused);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ remoteCode: ErrorCode.CODE_TOO_LARGE });
    }
    await router.replySingle(1, pong(4)); // a request sent on its own is not caught up in it
    await expect(later).resolves.toEqual(pong(4));
  });

  it("lingerMicros lets requests of later turns join the batch; without it they go on their own", async () => {
    for (const lingerMicros of [0, 200_000]) {
      const router = await batchRouter(true);
      const c = client({ endpoint: router.endpoint, maxBatch: 8, lingerMicros, timeoutMs: 5000 });
      const calls = [c.request(ping(1))];
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 5));
      calls.push(c.request(ping(2)));
      await Promise.all(calls);
      expect(unitSeqs(router)).toEqual(lingerMicros === 0 ? ["single:1", "single:2"] : ["batch:1,2"]);
    }
  });

  it("times out batched requests on the shared deadline timer, and an idle client holds no timer", async () => {
    const server = await silentServer();
    cleanups.push(() => server.close());
    const c = client({ endpoint: server.endpoint, maxBatch: 16, timeoutMs: 100 });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => c.request(ping(i + 1))));
    expect(outcomes.every((o) => o.status === "rejected" && o.reason instanceof TimeoutError)).toBe(true);
    expect(c.stats.timeouts).toBe(40);
    expect(c.pending).toBe(0);
    expect(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length).toBeLessThanOrEqual(timersBefore);
  });

  it("a reply settles its request and frees the deadline queue, so no timer is left behind", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, maxBatch: 16, timeoutMs: 60_000 });
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.request(ping(i + 1))));
    expect(process.getActiveResourcesInfo().filter((r) => r === "Timeout").length).toBeLessThanOrEqual(timersBefore);
  });

  it("serves 20 000 concurrent callers through batches against a batch-speaking server", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, maxBatch: 256, window: 1000, timeoutMs: 10_000 });
    const seqs = Array.from({ length: 20_000 }, (_, i) => BigInt(i + 1));
    const replies = await Promise.all(seqs.map((seq) => c.request(ping(seq))));
    expect(replies.map((m) => seqOf(m))).toEqual(seqs);
    expect(c.stats).toMatchObject({ sent: 20_000, replies: 20_000, timeouts: 0, unmatched: 0 });
    expect(c.stats.batches).toBeGreaterThan(0);
    expect(Math.max(...router.units.map((u) => u.messages.length))).toBeLessThanOrEqual(256);
  });
});

describe("PipelinedClient.requestMany (one promise per batch)", () => {
  const pings = (from: number, count: number) => Array.from({ length: count }, (_, i) => ping(from + i));

  it("sends the messages as one batch and resolves with their replies, matched and in request order", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, window: 100, timeoutMs: 5000 });
    const call = c.requestMany(pings(1, 4));
    await router.waitForRequests(4);
    expect(unitSeqs(router)).toEqual(["batch:1,2,3,4"]);
    await router.replyBatch(0, [pong(1), pong(2), pong(3), pong(4)]);
    await expect(call).resolves.toEqual([pong(1), pong(2), pong(3), pong(4)]);
    expect(c.stats).toMatchObject({ sent: 4, batches: 1, replies: 4, unmatched: 0, badReplies: 0 });
    expect(c.pending).toBe(0);
  });

  it("an item's ErrorReply is that item's RemoteError; a reply out of place is that item's BadReplyError", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const call = c.requestMany(pings(1, 4));
    await router.waitForRequests(4);
    await router.replyBatch(0, [pong(1), errorReply(ErrorCode.CODE_HANDLER, "boom", 2), pong(3), pong(77)]);
    const replies = await call;
    expect(replies[0]).toEqual(pong(1));
    expect(replies[1]).toBeInstanceOf(RemoteError);
    expect(replies[1]).toMatchObject({ remoteCode: ErrorCode.CODE_HANDLER, remoteMessage: "boom" });
    expect(replies[2]).toEqual(pong(3));
    expect(replies[3]).toBeInstanceOf(BadReplyError);
  });

  it("a single-frame ErrorReply (the server refused the batch whole) rejects the call with it", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const call = c.requestMany(pings(1, 3));
    await router.waitForRequests(3);
    await router.replySingle(0, errorReply(ErrorCode.CODE_TOO_LARGE, "batch over 2 items", 1));
    await expect(call).rejects.toMatchObject({ remoteCode: ErrorCode.CODE_TOO_LARGE });
    expect(c.pending).toBe(0);
  });

  it("a reply batch with another number of items rejects the call with BadReplyError", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const call = c.requestMany(pings(1, 3));
    await router.waitForRequests(3);
    await router.replyBatch(0, [pong(1), pong(2)]);
    await expect(call).rejects.toBeInstanceOf(BadReplyError);
  });

  it("times out as a whole, frees its window slots, and counts a late reply as unmatched", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, window: 5, timeoutMs: 100 });
    const call = c.requestMany(pings(1, 5));
    expect(c.pending).toBe(5);
    await expect(call).rejects.toBeInstanceOf(TimeoutError);
    expect(c.pending).toBe(0);
    expect(c.stats.timeouts).toBe(1);
    await router.replyBatch(
      0,
      pings(1, 5).map((m) => pong(seqOf(m)!)),
    );
    await vi.waitFor(() => expect(c.stats.unmatched).toBe(5), { timeout: 3000 });
    // The slots it held are free again: a full window goes through.
    const next = c.requestMany(pings(11, 5));
    await router.waitForRequests(10);
    await router.replyBatch(
      1,
      pings(11, 5).map((m) => pong(seqOf(m)!)),
    );
    await expect(next).resolves.toHaveLength(5);
  });

  it("takes one window slot per message: a second batch waits until the first is answered", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, window: 6, timeoutMs: 5000 });
    const first = c.requestMany(pings(1, 4));
    const second = c.requestMany(pings(5, 4));
    await router.waitForRequests(4);
    await sleep(30);
    expect(unitSeqs(router)).toEqual(["batch:1,2,3,4"]);
    expect(c.waiting).toBe(1);
    await router.replyBatch(
      0,
      pings(1, 4).map((m) => pong(seqOf(m)!)),
    );
    await first;
    await router.waitForRequests(8);
    await router.replyBatch(
      1,
      pings(5, 4).map((m) => pong(seqOf(m)!)),
    );
    await expect(second).resolves.toEqual(pings(5, 4).map((m) => pong(seqOf(m)!)));
  });

  it("aborts through its signal, waiting or in flight, and frees its slots", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, window: 4, timeoutMs: 5000 });
    const inFlight = new AbortController();
    const waiting = new AbortController();
    const sent = c.requestMany(pings(1, 4), { signal: inFlight.signal });
    const queued = c.requestMany(pings(5, 2), { signal: waiting.signal });
    await router.waitForRequests(4);
    waiting.abort("no longer needed");
    await expect(queued).rejects.toBeInstanceOf(AbortedError);
    inFlight.abort("no longer needed");
    await expect(sent).rejects.toBeInstanceOf(AbortedError);
    expect(c.pending).toBe(0);
    expect(c.waiting).toBe(0);
  });

  it("refuses what it cannot send: no key, a first key in flight, more than the window; [] for no messages", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, window: 10, timeoutMs: 5000 });
    await expect(c.requestMany([])).resolves.toEqual([]);
    await expect(c.requestMany([ping(1), { payload: { case: undefined } } as Envelope])).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(c.requestMany(pings(1, 11))).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const first = c.requestMany(pings(1, 2));
    await expect(c.requestMany(pings(1, 2))).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await router.waitForRequests(2);
    await router.replyBatch(0, [pong(1), pong(2)]);
    await expect(first).resolves.toEqual([pong(1), pong(2)]);
  });

  it("close() rejects a batch in flight with ClosedError", async () => {
    const router = await batchRouter();
    const c = client({ endpoint: router.endpoint, timeoutMs: 5000 });
    const call = c.requestMany(pings(1, 3));
    await router.waitForRequests(3);
    await c.close();
    await expect(call).rejects.toBeInstanceOf(ClosedError);
  });

  it("mixes with single requests and coalesced batches, and serves 200 000 requests against a batching server", async () => {
    const router = await batchRouter(true);
    const c = client({ endpoint: router.endpoint, window: 1000, maxBatch: 16, timeoutMs: 10_000 });
    const singles = Promise.all([1_000_001, 1_000_002, 1_000_003].map((n) => c.request(ping(n))));
    let seq = 1;
    let answered = 0;
    const caller = async () => {
      while (seq < 200_000) {
        const batch = pings(seq, 100);
        seq += 100;
        const replies = await c.requestMany(batch);
        expect(replies.map((r) => seqOf(r as Envelope))).toEqual(batch.map((m) => seqOf(m)));
        answered += replies.length;
      }
    };
    await Promise.all(Array.from({ length: 9 }, caller));
    expect((await singles).map((m) => seqOf(m))).toEqual([1_000_001n, 1_000_002n, 1_000_003n]);
    expect(answered).toBe(200_000);
    expect(c.stats).toMatchObject({ timeouts: 0, unmatched: 0, badReplies: 0 });
  });
});
