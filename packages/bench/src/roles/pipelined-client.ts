// Our own JS client as a load client: @zpb/client's PipelinedClient, `window` callers each sending its
// next Ping as soon as its last one is answered, with `batch` requests at most per ZeroMQ message
// (docs/wire.md, "Batches"; 1 = single frames). Each caller's round trip goes into a histogram, so a
// window-1 run gives the single-request latency with batching on or off.
import { PipelinedClient } from "@zpb/client";
import { ping } from "@zpb/proto";
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
  const caller = async (): Promise<void> => {
    while (next < config.count && nowSeconds() < sendUntil) {
      const seq = base + BigInt(next++);
      sent++;
      const t0 = performance.now();
      try {
        const reply = await client.request(ping(seq));
        const now = nowSeconds();
        if (reply.payload.case !== "pong" || reply.payload.value.seq !== seq) {
          unexpected++;
          continue;
        }
        received++;
        lastAt = now;
        if (warmAt === 0) {
          if (received >= config.warmup || now >= warmUntil) {
            warmAt = now;
            warmCount = received;
          }
        } else {
          histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        }
      } catch {
        lost++; // a timeout (no reply within stallMs) or the client closed under us
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: config.window }, caller));
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
