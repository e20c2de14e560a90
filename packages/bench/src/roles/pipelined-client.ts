// Our own JS client as a load client: @zpb/client's PipelinedClient, `window` callers each sending its
// next Ping as soon as its last one is answered, with `batch` requests per ZeroMQ message (requestMany())
// (docs/wire.md, "Batches"; 1 = single frames). Each caller's round trip goes into a histogram, so a
// window-1 run gives the single-request latency with batching on or off.
import { PipelinedClient } from "@zpb/client";
import { ping, seqOf, type Envelope } from "@zpb/proto";
import { createLatencyHistogram, summarise } from "../histogram.js";
import { cpuSecondsSince, nowSeconds, onStop } from "../ipc.js";
import { loadClientResult, type LatencySummary, type LoadClientResult } from "../result.js";
import type { DealerClientConfig } from "./zmq-clients.js";

/** Config of the PipelinedClient load client: the raw DEALER client's, plus the batch size. */
export interface PipelinedClientConfig extends DealerClientConfig {
  batch: number;
}

/** A load run's result plus the round trips it measured after warm-up. */
export type PipelinedClientResult = LoadClientResult & { latency: LatencySummary };

/** Runs one load run through PipelinedClient; every request must be answered exactly once. */
export async function runPipelinedClient(
  config: PipelinedClientConfig,
  ready: () => Promise<void>,
): Promise<PipelinedClientResult> {
  const client = new PipelinedClient({
    endpoint: config.endpoint,
    window: config.window,
    maxBatch: config.batch,
    timeoutMs: config.stallMs,
  });
  onStop(() => void client.close());
  const histogram = createLatencyHistogram();
  const base = BigInt(config.seqBase);
  let next = 0;
  let sent = 0;
  let received = 0;
  let unexpected = 0;
  let lost = 0;
  let warmAt = 0;
  let warmCount = 0;
  let lastAt = 0;

  await ready();
  const cpu = process.cpuUsage();
  const start = nowSeconds();
  const sendUntil = start + config.durationMs / 1000;
  const warmUntil = start + config.durationMs / 4000;
  // `count` good replies that arrived together, `t0` being when their request (or batch) was sent: the clock
  // is read and the histogram written once per arrival, not once per message.
  const took = (count: number, t0: number): void => {
    if (count === 0) return;
    const now = nowSeconds();
    received += count;
    lastAt = now;
    if (warmAt === 0) {
      if (received >= config.warmup || now >= warmUntil) {
        warmAt = now;
        warmCount = received;
      }
    } else {
      histogram.recordValueWithCount(Math.max(1, Math.round((performance.now() - t0) * 1000)), count);
    }
  };
  // 1 when `reply` is the Pong to Ping `seq`, else 0 (counted unexpected).
  const check = (seq: bigint, reply: Envelope | Error): number => {
    if (reply instanceof Error || reply.payload.case !== "pong" || reply.payload.value.seq !== seq) {
      unexpected++;
      return 0;
    }
    return 1;
  };
  // With batch > 1 each caller sends `batch` Pings at a time through requestMany(), the client's fastest path:
  // one promise, one timeout and one ZeroMQ message per batch.
  const batch = Math.max(1, Math.min(config.batch, config.window));
  const caller = async (): Promise<void> => {
    while (next < config.count && nowSeconds() < sendUntil) {
      const size = Math.min(batch, config.count - next);
      const first = base + BigInt(next);
      next += size;
      sent += size;
      const t0 = performance.now();
      try {
        if (batch === 1) took(check(first, await client.request(ping(first))), t0);
        else {
          // Seqs counted up with `+= 1n` (inlined; `++` on a bigint and BigInt(i) are runtime calls), and each
          // reply checked against its request's own seq: the per-message bigint work was this client's own CPU.
          const pings = new Array<Envelope>(size);
          let seq = first;
          for (let i = 0; i < size; i++, seq += 1n) pings[i] = ping(seq);
          const replies = await client.requestMany(pings);
          let good = 0;
          for (let i = 0; i < size; i++) good += check(seqOf(pings[i]!)!, replies[i]!);
          took(good, t0);
        }
      } catch {
        lost += size; // a timeout (no reply within stallMs) or the client closed under us
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.ceil(config.window / batch) }, caller));
  const wallSeconds = nowSeconds() - start;
  const cpuSeconds = cpuSecondsSince(cpu);
  await client.close();
  const result = loadClientResult({
    sent,
    received,
    duplicates: 0,
    unexpected,
    stalled: lost > 0,
    start,
    warmAt,
    warmCount,
    lastAt,
    wallSeconds,
    cpuSeconds,
  });
  return { ...result, latency: summarise(histogram) };
}
