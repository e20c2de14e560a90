// Load clients over zeromq with @zpb/proto's codec, kept lean: one send loop and one receive loop
// per socket, every send awaited (a second pending send would be EBUSY).
import { Dealer, Request } from "zeromq";
import { envelopeCodec, ping } from "@zpb/proto";
import { cpuSecondsSince, nowSeconds, onStop } from "../ipc.js";
import { loadClientResult, type LatencyClientResult, type LoadClientResult } from "../result.js";
import { measureRoundTrips, type RoundTrip } from "./round-trips.js";
import type { CurveClientSocketOptions } from "../curve-keys.js";

/** Config of a sequential REQ latency client. */
export interface ReqClientConfig {
  endpoint: string;
  count: number;
  warmup: number;
  durationMs: number;
  /** A round trip slower than this counts as lost and ends the run. */
  replyTimeoutMs: number;
  /** How long the first Ping (before "ready") may wait for its Pong; default PROBE_TIMEOUT_MS. */
  probeTimeoutMs?: number;
  /** Talk CURVE to the server with these keys (the CURVE rows). */
  curve?: CurveClientSocketOptions;
}

/** Sequential Ping→Pong round trips over REQ; records each measured round trip in µs. */
export async function runReqClient(config: ReqClientConfig, ready: () => Promise<void>): Promise<LatencyClientResult> {
  const socket = new Request({ linger: 0, receiveTimeout: config.replyTimeoutMs, ...config.curve });
  socket.connect(config.endpoint);
  onStop(() => socket.close()); // a pending receive ends with the socket, so the process can leave
  await ready();
  try {
    return await measureRoundTrips(config, async (n): Promise<RoundTrip> => {
      const seq = BigInt(n);
      await socket.send(envelopeCodec.encode(ping(seq)));
      let frames: Buffer[];
      try {
        frames = await socket.receive();
      } catch (err) {
        // A REQ socket that missed its reply cannot send again.
        if ((err as { code?: string }).code === "EAGAIN") return "lost-final";
        throw err;
      }
      const reply = envelopeCodec.decode(frames[0]!);
      return reply.payload.case === "pong" && reply.payload.value.seq === seq ? "ok" : "unexpected";
    });
  } finally {
    socket.close();
  }
}

/** Config of a pipelined DEALER load client. */
export interface DealerClientConfig {
  endpoint: string;
  window: number;
  count: number;
  /** Replies before this many (or before a quarter of durationMs) are warm-up: not in msgs/s. */
  warmup: number;
  durationMs: number;
  /** Seq of the first request (client processes use disjoint ranges). */
  seqBase: number;
  /** No reply for this long while requests are outstanding ends the run (they count as lost). */
  stallMs: number;
  /** Talk CURVE to the server with these keys (the CURVE rows). */
  curve?: CurveClientSocketOptions;
}

/**
 * Keeps `window` Pings in flight over one DEALER (single-frame requests, the Rust prost + zmq example's DEALER wire;
 * docs/wire.md), checks every reply's seq against a bitmap: each request must be answered exactly once.
 */
export async function runDealerClient(
  config: DealerClientConfig,
  ready: () => Promise<void>,
): Promise<LoadClientResult> {
  const socket = new Dealer({ linger: 0, ...config.curve });
  socket.connect(config.endpoint);
  onStop(() => socket.close()); // both loops end with the socket, so the process can leave
  const answered = new Uint8Array(config.count);
  const base = BigInt(config.seqBase);
  let sent = 0;
  let received = 0;
  let duplicates = 0;
  let unexpected = 0;
  let stalled = false;
  let warmAt = 0;
  let warmCount = 0;
  let lastAt = 0;
  let lastProgress = 0;
  let sending = true;
  let slotFreed: (() => void) | undefined;
  let allAnswered: (() => void) | undefined;

  await ready();
  const cpu = process.cpuUsage();
  const start = nowSeconds();
  lastProgress = start;
  const sendUntil = start + config.durationMs / 1000;
  // Warm-up ends at `warmup` replies or a quarter of the time cap, whichever comes first (JIT, connection set-up).
  const warmUntil = start + config.durationMs / 4000;
  // One timer wakes the loops below so they can notice a stall (no timer per wait: that would cost more than a send).
  const ticker = setInterval(
    () => {
      slotFreed?.();
      allAnswered?.();
    },
    Math.min(100, config.stallMs),
  );

  const receiveLoop = (async () => {
    try {
      for await (const frames of socket) {
        const reply = envelopeCodec.decode(frames[frames.length - 1]!);
        const now = nowSeconds();
        lastProgress = now;
        const index = reply.payload.case === "pong" ? Number(reply.payload.value.seq - base) : -1;
        if (index < 0 || index >= sent) unexpected++;
        else if (answered[index] === 1) duplicates++;
        else {
          answered[index] = 1;
          received++;
          lastAt = now;
          if (warmAt === 0 && (received >= config.warmup || now >= warmUntil)) {
            warmAt = now;
            warmCount = received;
          }
        }
        slotFreed?.();
        if (!sending && received >= sent) allAnswered?.();
      }
    } catch (err) {
      if (!socket.closed) throw err;
    }
  })();

  for (let i = 0; i < config.count; i++) {
    while (sent - received >= config.window) {
      await new Promise<void>((resolve) => (slotFreed = resolve));
      slotFreed = undefined;
      if (nowSeconds() - lastProgress > config.stallMs / 1000) {
        stalled = true;
        break;
      }
    }
    if (stalled || nowSeconds() > sendUntil) break;
    await socket.send(envelopeCodec.encode(ping(base + BigInt(i))));
    sent++;
  }
  sending = false;

  // Drain: wait for the outstanding replies, bounded by stallMs without progress.
  while (received < sent) {
    await new Promise<void>((resolve) => (allAnswered = resolve));
    if (nowSeconds() - lastProgress > config.stallMs / 1000) {
      if (received < sent) stalled = true;
      break;
    }
  }
  clearInterval(ticker);
  const wallSeconds = nowSeconds() - start;
  const cpuSeconds = cpuSecondsSince(cpu);
  socket.close();
  await receiveLoop;

  return loadClientResult({
    sent,
    received,
    duplicates,
    unexpected,
    stalled,
    start,
    warmAt,
    warmCount,
    lastAt,
    wallSeconds,
    cpuSeconds,
  });
}
