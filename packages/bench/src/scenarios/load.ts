// One pipelined load run against a running server: K client processes, synchronised start,
// server CPU read from /proc before and after.
import { cpuSecondsOf, type Proc } from "../procs.js";
import { emptyThroughputRecord, type ClientKind, type LoadClientResult, type ThroughputRecord } from "../result.js";
import type { RunningServer } from "../servers.js";
import type { ScenarioContext } from "./context.js";

/** Window, count and time of one run. */
export interface LoadPlan {
  scenario: ThroughputRecord["scenario"];
  window: number;
  count: number;
  durationMs: number;
  repeat: number;
  /** The load client; grpc-js servers always get the grpc-js client ("js"). */
  client: ClientKind;
  /**
   * Requests per ZeroMQ message (docs/wire.md, "Batches"). Set, the JS client is our own PipelinedClient
   * (`maxBatch`) and the native one packs as many (`--batch`); unset, the raw single-frame DEALER clients.
   */
  batch?: number;
  /** Hands over each client's own result (e.g. the PipelinedClient's latency summary). */
  onResults?: (results: LoadClientResult[]) => void;
}

/** Runs one load run and returns its record (with `error` set when it failed). */
export async function runLoad(ctx: ScenarioContext, server: RunningServer, plan: LoadPlan): Promise<ThroughputRecord> {
  const { clients } = ctx.options;
  const record = emptyThroughputRecord({
    scenario: plan.scenario,
    server: server.spec.kind,
    workers: server.spec.workers,
    window: plan.window,
    client: plan.client,
    clients,
    repeat: plan.repeat,
  });
  const perClientCount = Math.ceil(plan.count / clients);
  const perClientWindow = Math.max(1, Math.ceil(plan.window / clients));
  const stallMs = ctx.options.quick ? 1000 : 2000;
  const procs: Proc[] = [];
  try {
    for (let k = 0; k < clients; k++) {
      const common = {
        window: perClientWindow,
        count: perClientCount,
        warmup: Math.floor(perClientCount / 10),
        durationMs: plan.durationMs,
        seqBase: k * 2 ** 40 + 1,
      };
      if (server.spec.kind === "grpc") {
        procs.push(
          ctx.registry.forkRole("grpc-load-client", { ...common, target: server.address, replyTimeoutMs: 10_000 }),
        );
      } else if (plan.client === "native") {
        if (!ctx.nativeClient) throw new Error("the native load client is not built");
        procs.push(
          ctx.registry.forkRole("native-dealer-client", {
            ...common,
            endpoint: server.address,
            stallMs,
            binary: ctx.nativeClient,
            ...(plan.batch === undefined ? {} : { batch: plan.batch }),
          }),
        );
      } else if (plan.batch !== undefined) {
        procs.push(
          ctx.registry.forkRole("pipelined-client", {
            ...common,
            endpoint: server.address,
            stallMs,
            batch: plan.batch,
          }),
        );
      } else {
        const curve = server.spec.curve ? { curve: server.spec.curve.client } : {};
        procs.push(ctx.registry.forkRole("dealer-client", { ...common, endpoint: server.address, stallMs, ...curve }));
      }
    }
    await Promise.all(procs.map((p) => p.next("ready", 20_000)));
    const serverCpuBefore = cpuSecondsOf(server.proc.pid);
    for (const p of procs) p.send({ type: "go" });
    const budget = plan.durationMs + stallMs * 3 + 20_000;
    const results = (await Promise.all(procs.map((p) => p.next("result", budget)))).map(
      (m) => m.data as LoadClientResult,
    );
    record.serverCpuSeconds = round(cpuSecondsOf(server.proc.pid) - serverCpuBefore, 3);
    plan.onResults?.(results);
    for (const r of results) {
      record.sent += r.sent;
      record.received += r.received;
      record.lost += r.lost;
      record.duplicates += r.duplicates;
      record.unexpected += r.unexpected;
      record.stalled ||= r.stalled;
      record.clientCpuSeconds += r.cpuSeconds;
      record.clientCpuShare = Math.max(record.clientCpuShare, r.cpuSeconds / r.wallSeconds);
    }
    // One clock for all clients (CLOCK_MONOTONIC): clients that did not overlap are not double-counted.
    const from = Math.min(...results.map((r) => r.fromSeconds));
    const to = Math.max(...results.map((r) => r.toSeconds));
    const counted = results.reduce((n, r) => n + r.counted, 0);
    record.msgsPerSec = to > from ? Math.round(counted / (to - from)) : 0;
    record.clientCpuSeconds = round(record.clientCpuSeconds, 3);
    record.clientCpuShare = round(record.clientCpuShare, 2);
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
  } finally {
    await Promise.all(procs.map((p) => p.stop(3000)));
  }
  return record;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
