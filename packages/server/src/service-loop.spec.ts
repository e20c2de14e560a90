// The serving loop against a fake socket: one reply per request, async handlers in parallel up to the
// limit, never two sends pending at once, draining, and last words on a dying thread.
import { describe, expect, it } from "vitest";
import {
  DecodeError,
  ErrorCode,
  createBatchCodec,
  envelopeCodec,
  joinBatch,
  ping,
  pong,
  type Envelope,
} from "@zpb/proto";
import type { Peer, RoutedDealer, RoutedIncoming, RoutedMessage } from "@zpb/transport";
import { DeadlineExceeded, ServiceLoop, type LoopLimits } from "./service-loop.js";
import { toLoadedHandler, type Handler, type HandlerContext } from "./handler.js";
import { COUNTER_NAMES, Counter } from "./stats.js";

const envelopeBatches = createBatchCodec(envelopeCodec);

/**
 * A fake RoutedDealer: hands out queued messages (single, or batches as receiveMany() gives them), records
 * replies (a batch reply as one entry with its replies), and fails on overlapping sends.
 */
class FakeDealer {
  readonly sent: Array<{ peer: Peer; reply: Envelope; batch?: Envelope[] }> = [];
  private readonly inbox: Array<RoutedIncoming<Envelope> | undefined> = [];
  private waiting: ((m: RoutedIncoming<Envelope> | undefined) => void) | undefined;
  private sending = false;
  overlaps = 0;

  push(m: RoutedMessage<Envelope> | undefined): void {
    const { peer, ...item } = m ?? ({} as RoutedMessage<Envelope>);
    this.deliver(m === undefined ? undefined : { batch: false, items: [item], refused: undefined, frames: [], peer });
  }
  pushBatch(peer: Peer, items: RoutedIncoming<Envelope>["items"], refused?: DecodeError, frames: Buffer[] = []): void {
    this.deliver({ batch: true, items, refused, frames, peer });
  }
  private deliver(m: RoutedIncoming<Envelope> | undefined): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(m);
    } else this.inbox.push(m);
  }
  receiveMany(): Promise<RoutedIncoming<Envelope> | undefined> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift());
    return new Promise((resolve) => (this.waiting = resolve));
  }
  async replyBytes(peer: Peer, bytes: Uint8Array): Promise<void> {
    if (this.sending) this.overlaps++;
    this.sending = true;
    await Promise.resolve();
    this.sent.push({ peer, reply: envelopeCodec.decode(bytes) });
    this.sending = false;
  }
  async replyBatchBytes(peer: Peer, frame: Uint8Array, items: number): Promise<void> {
    if (this.sending) this.overlaps++;
    this.sending = true;
    await Promise.resolve();
    const batch = envelopeBatches.decode(frame);
    expect(batch).toHaveLength(items);
    this.sent.push({ peer, reply: batch[0]!, batch });
    this.sending = false;
  }
}

function peerNamed(name: string): Peer {
  const identity = Buffer.from(name);
  return { identity, route: [identity], delimited: false };
}

function request(seq: bigint, name = `p${seq}`): RoutedMessage<Envelope> {
  return { ok: true, message: ping(seq), frames: [], peer: peerNamed(name) };
}

function setup(handle: Handler, concurrency = 4, limits: Partial<LoopLimits> = {}) {
  const dealer = new FakeDealer();
  const counters = new Float64Array(COUNTER_NAMES.length);
  const loop = new ServiceLoop<Envelope>(
    dealer as unknown as RoutedDealer<Envelope>,
    toLoadedHandler({ default: handle as never }, "test") as never,
    counters,
    { workerId: 0, service: "main", stopping: new AbortController().signal },
    { concurrency, handlerTimeout: 0, maxInFlightBytes: Number.MAX_SAFE_INTEGER, ...limits },
  );
  const done = loop.run();
  return { dealer, counters, loop, done };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("ServiceLoop", () => {
  it("answers each request once, bad input with an error, and ends when the socket closes", async () => {
    const { dealer, counters, done } = setup((r) => pong((r.payload as { value: { seq: bigint } }).value.seq));
    dealer.push(request(1n));
    dealer.push({ ok: false, error: new DecodeError("TRUNCATED", "cut"), frames: [], peer: peerNamed("bad") });
    dealer.push({ ok: false, error: new DecodeError("TOO_LARGE", "big"), frames: [], peer: peerNamed("big") });
    dealer.push(request(2n));
    dealer.push(undefined);
    await done;
    expect(dealer.sent.map((s) => s.reply)).toEqual([
      pong(1n),
      expect.objectContaining({
        payload: expect.objectContaining({
          case: "error",
          value: expect.objectContaining({ code: ErrorCode.CODE_DECODE }),
        }),
      }),
      expect.objectContaining({
        payload: expect.objectContaining({
          case: "error",
          value: expect.objectContaining({ code: ErrorCode.CODE_TOO_LARGE }),
        }),
      }),
      pong(2n),
    ]);
    expect(counters[Counter.requests]).toBe(4);
    expect(counters[Counter.replies]).toBe(4);
    expect(counters[Counter.decodeErrors]).toBe(1);
    expect(counters[Counter.tooLarge]).toBe(1);
  });

  it("reuses one context for sync calls that leave its signal alone; a call that takes the signal or goes async keeps its own", async () => {
    const contexts: HandlerContext[] = [];
    const signals: AbortSignal[] = [];
    let release: (() => void) | undefined;
    const { dealer, loop, done } = setup((r, context) => {
      contexts.push(context);
      const seq = (r.payload as { value: { seq: bigint } }).value.seq;
      if (seq === 3n) signals.push(context.signal); // sync, but takes its signal
      if (seq === 5n) return new Promise<Envelope>((resolve) => (release = () => resolve(pong(seq))));
      if (seq === 7n) throw new Error("boom");
      return pong(seq);
    });
    dealer.pushBatch(
      peerNamed("b"),
      [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n].map((seq) => ({ ok: true as const, message: ping(seq), frames: [] })),
    );
    while (release === undefined) await tick();
    loop.drain("stopping"); // aborts what calls hold: the signal taken (already answered) and the async call's
    release();
    while (dealer.sent.length < 1) await tick();
    dealer.push(undefined);
    await done;
    const [c1, c2, c3, c4, c5, c6, c7, c8] = contexts;
    expect(c2).toBe(c1);
    expect(c3).toBe(c1); // the call that took the signal had the spare context...
    expect(c4).not.toBe(c3); // ...and kept it
    expect(c5).toBe(c4); // the async call took the spare one, and holds it
    expect(c6).not.toBe(c5);
    expect(c7).toBe(c6); // a throwing sync call gives it back too
    expect(c8).toBe(c6);
    expect(signals[0]!.aborted).toBe(false); // drain() aborts only calls in flight
    expect(dealer.sent[0]!.batch!.map((e) => e.payload.case)).toEqual([
      "pong",
      "pong",
      "pong",
      "pong",
      "pong",
      "pong",
      "error",
      "pong",
    ]);
  });

  it("runs async handlers concurrently up to the limit and never overlaps two sends", async () => {
    let running = 0;
    let peak = 0;
    const { dealer, done } = setup(async (r) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return pong((r.payload as { value: { seq: bigint } }).value.seq);
    }, 3);
    for (let i = 0; i < 12; i++) dealer.push(request(BigInt(i)));
    while (dealer.sent.length < 12) await tick();
    dealer.push(undefined);
    await done;
    expect(peak).toBe(3);
    expect(dealer.overlaps).toBe(0);
    expect(
      dealer.sent
        .map((s) => s.reply)
        .sort((a, b) => Number((a.payload.value as { seq: bigint }).seq - (b.payload.value as { seq: bigint }).seq)),
    ).toEqual(Array.from({ length: 12 }, (_, i) => pong(BigInt(i))));
  });

  it("refuses requests with CODE_UNAVAILABLE once draining, and finishes what was running", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { dealer, loop, done } = setup(async (r) => {
      await gate;
      return pong((r.payload as { value: { seq: bigint } }).value.seq);
    });
    dealer.push(request(1n));
    await tick();
    loop.drain();
    dealer.push(request(2n));
    await tick();
    expect(loop.settled).toBe(false);
    release();
    await tick();
    expect(loop.settled).toBe(true);
    dealer.push(undefined);
    await done;
    const replies = dealer.sent.map((s) => s.reply);
    expect(replies).toContainEqual(pong(1n));
    expect(replies).toContainEqual(
      expect.objectContaining({
        payload: { case: "error", value: expect.objectContaining({ code: ErrorCode.CODE_UNAVAILABLE, seq: 2n }) },
      }),
    );
  });

  it("answers the requests still running with CODE_HANDLER when the thread is dying", async () => {
    const { dealer, counters, loop } = setup(() => new Promise<Envelope>(() => undefined));
    dealer.push(request(7n));
    dealer.push(request(8n));
    await tick();
    loop.abandon("the worker called process.exit(1)");
    await tick();
    expect(dealer.sent.map((s) => s.reply.payload)).toEqual([
      { case: "error", value: { code: ErrorCode.CODE_HANDLER, message: "the worker called process.exit(1)", seq: 7n } },
      { case: "error", value: { code: ErrorCode.CODE_HANDLER, message: "the worker called process.exit(1)", seq: 8n } },
    ]);
    expect(counters[Counter.handlerErrors]).toBe(2);
  });

  it("answers an async call past --handler-timeout with CODE_DEADLINE, aborts its signal, frees its slot", async () => {
    const signals: AbortSignal[] = [];
    const { dealer, counters } = setup(
      (r, context) => {
        const seq = (r.payload as { value: { seq: bigint } }).value.seq;
        if (seq === 1n) return pong(1n);
        signals.push(context.signal);
        return new Promise<Envelope>(() => undefined);
      },
      2,
      { handlerTimeout: 40 },
    );
    dealer.push(request(10n));
    dealer.push(request(11n));
    // Both slots are taken by calls that never settle: a third request waits until a deadline frees one.
    dealer.push(request(1n));
    await tick();
    expect(dealer.sent).toHaveLength(0);
    // Bounded wait for all three replies (a loaded machine may fire the two deadlines apart).
    const waitUntil = performance.now() + 2000;
    while (dealer.sent.length < 3 && performance.now() < waitUntil) await new Promise((r) => setTimeout(r, 10));
    const codes = dealer.sent.map((s) => (s.reply.payload.case === "error" ? s.reply.payload.value : s.reply));
    // The first reply is 10's deadline (its call started first); the Pong comes only after a deadline freed a
    // slot, and 11's deadline may come before or after it.
    expect(codes[0]).toEqual(expect.objectContaining({ code: ErrorCode.CODE_DEADLINE, seq: 10n }));
    expect(codes).toHaveLength(3);
    expect(codes).toContainEqual(expect.objectContaining({ code: ErrorCode.CODE_DEADLINE, seq: 11n }));
    expect(dealer.sent.slice(1).map((s) => s.reply)).toContainEqual(pong(1n));
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(signals[0]!.reason).toBeInstanceOf(DeadlineExceeded);
    expect(counters[Counter.deadlines]).toBe(2);
  });

  it("stops receiving while the running async calls hold more than maxInFlightBytes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { dealer, counters } = setup(
      async () => {
        await gate;
        return pong(0n);
      },
      100,
      { maxInFlightBytes: 1000 },
    );
    const big = (seq: bigint): RoutedMessage<Envelope> => ({ ...request(seq), frames: [Buffer.alloc(600)] });
    dealer.push(big(1n));
    dealer.push(big(2n));
    dealer.push(big(3n));
    await tick();
    // 1200 bytes held after the second call: the third request waits in the socket.
    expect(counters[Counter.requests]).toBe(2);
    release();
    await tick();
    expect(counters[Counter.requests]).toBe(3);
  });
});

const seqOfPing = (r: Envelope) => (r.payload as { value: { seq: bigint } }).value.seq;
const pings = (...seqs: number[]) => seqs.map((seq) => ({ ok: true as const, message: ping(seq), frames: [] }));
const errorWith = (code: ErrorCode, seq: bigint) =>
  expect.objectContaining({ payload: { case: "error", value: expect.objectContaining({ code, seq }) } });

describe("ServiceLoop, batches", () => {
  it("answers a batch with one batch of replies in request order; counters count requests, not frames", async () => {
    const { dealer, counters, done } = setup((r) => pong(seqOfPing(r)));
    dealer.pushBatch(peerNamed("b"), pings(1, 2, 3));
    dealer.push(request(4n));
    dealer.push(undefined);
    await done;
    expect(dealer.sent.map((s) => s.batch ?? "single")).toEqual([[pong(1), pong(2), pong(3)], "single"]);
    expect(dealer.sent[0]!.peer.identity.toString()).toBe("b");
    expect(counters[Counter.requests]).toBe(4);
    expect(counters[Counter.replies]).toBe(4);
  });

  it("async handlers finishing out of order still give replies in request order, within the concurrency limit", async () => {
    let running = 0;
    let peak = 0;
    const { dealer, done } = setup(async (r) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 2 + ((7 * Number(seqOfPing(r))) % 11)));
      running--;
      return pong(seqOfPing(r));
    }, 3);
    dealer.pushBatch(peerNamed("b"), pings(...Array.from({ length: 20 }, (_, i) => i + 1)));
    while (dealer.sent.length < 1) await tick();
    dealer.push(undefined);
    await done;
    expect(peak).toBe(3);
    expect(dealer.sent).toHaveLength(1);
    expect(dealer.sent[0]!.batch).toEqual(Array.from({ length: 20 }, (_, i) => pong(i + 1)));
    expect(dealer.overlaps).toBe(0);
  });

  it("sync replies, then async ones, then sync again, in one batch and across batches: all in request order", async () => {
    // Sync replies are encoded straight into the reply frame until the first async one; the next batch starts
    // while this one still waits, so the in-place writer must not mix the two.
    const { dealer, done } = setup((r) => {
      const seq = seqOfPing(r);
      if (seq % 5n !== 3n) return pong(seq);
      return new Promise<Envelope>((resolve) => setTimeout(() => resolve(pong(seq)), 5));
    }, 8);
    dealer.pushBatch(peerNamed("a"), pings(1, 2, 3, 4, 5, 6, 7, 8));
    dealer.pushBatch(peerNamed("b"), pings(9, 10, 11, 12));
    dealer.pushBatch(peerNamed("c"), pings(14, 15, 16));
    while (dealer.sent.length < 3) await tick();
    dealer.push(undefined);
    await done;
    const byPeer = Object.fromEntries(dealer.sent.map((s) => [s.peer.identity.toString(), s.batch]));
    expect(byPeer).toEqual({
      a: [1, 2, 3, 4, 5, 6, 7, 8].map((n) => pong(n)),
      b: [9, 10, 11, 12].map((n) => pong(n)),
      c: [14, 15, 16].map((n) => pong(n)),
    });
    expect(dealer.overlaps).toBe(0);
  });

  it("an item that fails is that item's ErrorReply: a throwing handler, an undecodable item", async () => {
    const { dealer, counters, done } = setup((r) => {
      if (seqOfPing(r) === 2n) throw new Error("no 2");
      return pong(seqOfPing(r));
    });
    dealer.pushBatch(peerNamed("b"), [
      ...pings(1, 2),
      { ok: false, error: new DecodeError("TRUNCATED", "cut"), frames: [] },
      ...pings(4),
    ]);
    dealer.push(undefined);
    await done;
    expect(dealer.sent[0]!.batch).toEqual([
      pong(1),
      errorWith(ErrorCode.CODE_HANDLER, 2n),
      errorWith(ErrorCode.CODE_DECODE, 0n),
      pong(4),
    ]);
    expect(counters[Counter.handlerErrors]).toBe(1);
    expect(counters[Counter.decodeErrors]).toBe(1);
  });

  it("a batch refused whole gets one single-frame error reply, keyed by its first request", async () => {
    const { dealer, counters, done } = setup((r) => pong(seqOfPing(r)));
    const frame = joinBatch([envelopeCodec.encode(ping(41)), envelopeCodec.encode(ping(42))]);
    dealer.pushBatch(peerNamed("b"), [], new DecodeError("TOO_MANY_ITEMS", "over 1"), [frame]);
    dealer.pushBatch(peerNamed("c"), [], new DecodeError("TRUNCATED", "cut"), [Buffer.from([0x09, 0x0a])]);
    dealer.push(undefined);
    await done;
    expect(dealer.sent.map((s) => s.batch)).toEqual([undefined, undefined]);
    expect(dealer.sent.map((s) => s.reply)).toEqual([
      errorWith(ErrorCode.CODE_TOO_LARGE, 41n),
      errorWith(ErrorCode.CODE_DECODE, 0n),
    ]);
    expect(counters[Counter.tooLarge]).toBe(1);
  });

  it("refuses a batch's requests with CODE_UNAVAILABLE once draining", async () => {
    const { dealer, loop, done } = setup((r) => pong(seqOfPing(r)));
    loop.drain();
    dealer.pushBatch(peerNamed("b"), pings(5, 6));
    dealer.push(undefined);
    await done;
    expect(dealer.sent[0]!.batch).toEqual([
      errorWith(ErrorCode.CODE_UNAVAILABLE, 5n),
      errorWith(ErrorCode.CODE_UNAVAILABLE, 6n),
    ]);
  });

  it("a dying thread answers a half-done batch once, with a single-frame CODE_HANDLER error", async () => {
    const { dealer, loop } = setup((r) => (seqOfPing(r) === 1n ? pong(1) : new Promise<Envelope>(() => undefined)));
    dealer.pushBatch(peerNamed("b"), pings(1, 2, 3));
    await tick();
    loop.abandon("the worker called process.exit(1)");
    await tick();
    expect(dealer.sent.map((s) => s.reply)).toEqual([errorWith(ErrorCode.CODE_HANDLER, 2n)]);
  });

  it("a batch request past --handler-timeout gets CODE_DEADLINE in its slot; the batch leaves complete, in order", async () => {
    const signals: AbortSignal[] = [];
    const { dealer, counters } = setup(
      (r, context) => {
        const seq = seqOfPing(r);
        if (seq !== 2n) return Promise.resolve(pong(seq));
        signals.push(context.signal);
        return new Promise<Envelope>(() => undefined);
      },
      4,
      { handlerTimeout: 40 },
    );
    dealer.pushBatch(peerNamed("b"), pings(1, 2, 3));
    await tick();
    expect(dealer.sent).toHaveLength(0);
    for (let i = 0; i < 100 && dealer.sent.length === 0; i++) await tick();
    expect(dealer.sent.map((s) => s.batch)).toEqual([[pong(1), errorWith(ErrorCode.CODE_DEADLINE, 2n), pong(3)]]);
    expect(signals[0]!.reason).toBeInstanceOf(DeadlineExceeded);
    expect(counters[Counter.deadlines]).toBe(1);
    expect(counters[Counter.replies]).toBe(3);
  });

  it("a batch's async requests count against maxInFlightBytes (each its share of the batch frame)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const { dealer } = setup(
      async (r) => {
        calls++;
        await gate;
        return pong(seqOfPing(r));
      },
      100,
      { maxInFlightBytes: 1000 },
    );
    // 4 requests sharing a 2000-byte batch frame: 500 each, so the loop is over the cap after the third.
    dealer.pushBatch(peerNamed("b"), pings(1, 2, 3, 4), undefined, [Buffer.alloc(2000)]);
    dealer.push(request(5n));
    await tick();
    expect(calls).toBe(3);
    release();
    for (let i = 0; i < 100 && dealer.sent.length < 2; i++) await tick();
    expect(calls).toBe(5);
    expect(dealer.sent.map((s) => s.batch ?? "single")).toEqual([[pong(1), pong(2), pong(3), pong(4)], "single"]);
  });
});
