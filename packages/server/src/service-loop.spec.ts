// The serving loop against a fake socket: one reply per request, async handlers in parallel up to the
// limit, never two sends pending at once, draining, and last words on a dying thread.
import { describe, expect, it } from "vitest";
import { DecodeError, ErrorCode, envelopeCodec, ping, pong, type Envelope } from "@zpb/proto";
import type { Peer, RoutedDealer, RoutedMessage } from "@zpb/transport";
import { DeadlineExceeded, ServiceLoop, type LoopLimits } from "./service-loop.js";
import { toLoadedHandler, type Handler } from "./handler.js";
import { COUNTER_NAMES, Counter } from "./stats.js";

/** A fake RoutedDealer: hands out queued messages, records replies, and fails on overlapping sends. */
class FakeDealer {
  readonly sent: Array<{ peer: Peer; reply: Envelope }> = [];
  private readonly inbox: Array<RoutedMessage<Envelope> | undefined> = [];
  private waiting: ((m: RoutedMessage<Envelope> | undefined) => void) | undefined;
  private sending = false;
  overlaps = 0;

  push(m: RoutedMessage<Envelope> | undefined): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w(m);
    } else this.inbox.push(m);
  }
  receive(): Promise<RoutedMessage<Envelope> | undefined> {
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
    await new Promise((resolve) => setTimeout(resolve, 80));
    const codes = dealer.sent.map((s) => (s.reply.payload.case === "error" ? s.reply.payload.value : s.reply));
    expect(codes.slice(0, 2)).toEqual([
      expect.objectContaining({ code: ErrorCode.CODE_DEADLINE, seq: 10n }),
      expect.objectContaining({ code: ErrorCode.CODE_DEADLINE, seq: 11n }),
    ]);
    expect(dealer.sent[2]!.reply).toEqual(pong(1n));
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
