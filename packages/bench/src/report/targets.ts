// The issue's targets, judged on one run (reported, never asserted in tests). One function per target;
// judgeTargets only gathers the run's shape (workers, windows, judged client) and lists them.
import type { BenchResult, ClientKind, TargetRecord } from "../result.js";
import { cell, clientsIn, distinct, preferredClient, ratio } from "./aggregate.js";

function target(t: Omit<TargetRecord, "met">): TargetRecord {
  const { value, threshold, compare } = t;
  const met =
    value === null
      ? null
      : compare === ">="
        ? value >= threshold
        : compare === "<="
          ? value <= threshold
          : value < threshold;
  return { ...t, met };
}

const fmt = (x: number): string => `${x.toFixed(2)}×`;
const CLIENT_NAME: Record<ClientKind, string> = { native: "native client", js: "zeromq.js client" };

/** What every throughput target needs to know about the run. */
interface RunShape {
  /** zpb's largest worker count in the Ping/Pong runs (the pooled figure). */
  best: number | undefined;
  /** Ping/Pong windows. */
  windows: number[];
  /** The client whose rows the targets judge, per scenario (see preferredClient). */
  judgedPing: ClientKind;
  judgedCpu: ClientKind;
}

function shapeOf(result: BenchResult): RunShape {
  const zpbWorkers = distinct(result, "pingpong", "workers", "zpb");
  return {
    best: zpbWorkers.length ? Math.max(...zpbWorkers) : undefined,
    windows: distinct(result, "pingpong", "window"),
    judgedPing: preferredClient(result, "pingpong"),
    judgedCpu: preferredClient(result, "cpu"),
  };
}

/**
 * The worst ratio over windows with the judged client, and a detail listing every client's
 * ratios (the judged one first), so the JS client's figures stay visible beside the target.
 */
function worstOver(
  windows: number[],
  judged: ClientKind,
  others: ClientKind[],
  ratioAt: (window: number, client: ClientKind) => number | null,
  format: (r: number) => string = fmt,
): { worst: number | null; detail: string } {
  let worst: number | null = null;
  const sections: string[] = [];
  for (const client of [judged, ...others.filter((c) => c !== judged)]) {
    const parts: string[] = [];
    for (const w of windows) {
      const r = ratioAt(w, client);
      if (r === null) continue;
      parts.push(`w${w} ${format(r)}`);
      if (client === judged) worst = worst === null ? r : Math.min(worst, r);
    }
    if (parts.length) sections.push(`${CLIENT_NAME[client]}: ${parts.join(", ")}`);
  }
  return { worst, detail: sections.join("; ") };
}

/** 1. pooled ≥ 1.0× plain ROUTER on Ping/Pong: the worst window counts. */
function pooledVsPlainRouter(result: BenchResult, { best, windows, judgedPing }: RunShape): TargetRecord {
  const { worst, detail } = worstOver(windows, judgedPing, clientsIn(result, "pingpong"), (w, c) =>
    ratio(
      cell(result, "pingpong", "zpb", w, best, c)?.msgsPerSec,
      cell(result, "pingpong", "plain-router", w, undefined, c)?.msgsPerSec,
    ),
  );
  return target({
    id: "pooled-vs-plain-router",
    description: `zpb ×${best ?? "?"} ≥ 1.0× plain ROUTER msgs/s (Ping/Pong, worst window, ${CLIENT_NAME[judgedPing]})`,
    value: worst,
    threshold: 1.0,
    compare: ">=",
    detail: detail || "no data",
  });
}

/** 2. ≥ 1.8× at 2 workers vs 1 with the CPU-heavy handler. */
function cpuScaling(result: BenchResult, { judgedCpu }: RunShape): TargetRecord {
  const { worst, detail } = worstOver(distinct(result, "cpu", "window"), judgedCpu, clientsIn(result, "cpu"), (w, c) =>
    ratio(cell(result, "cpu", "zpb", w, 2, c)?.msgsPerSec, cell(result, "cpu", "zpb", w, 1, c)?.msgsPerSec),
  );
  return target({
    id: "cpu-scaling-2-vs-1",
    description: `zpb 2 workers ≥ 1.8× 1 worker (CPU-heavy handler, ${CLIENT_NAME[judgedCpu]})`,
    value: worst,
    threshold: 1.8,
    compare: ">=",
    detail: detail || "no data (needs --workers with 1 and 2)",
  });
}

/** 3. ≥ 10× grpc-js calls/s at equal concurrency: the worst window counts. */
function pooledVsGrpc(result: BenchResult, { best, windows, judgedPing }: RunShape): TargetRecord {
  // grpc-js is always driven by its own client; ours by the judged client.
  const { worst, detail } = worstOver(
    windows,
    judgedPing,
    clientsIn(result, "pingpong"),
    (w, c) =>
      ratio(cell(result, "pingpong", "zpb", w, best, c)?.msgsPerSec, cell(result, "pingpong", "grpc", w)?.msgsPerSec),
    (r) => `${r.toFixed(1)}×`,
  );
  return target({
    id: "pooled-vs-grpc",
    description:
      `zpb ×${best ?? "?"} ≥ 10× grpc-js calls/s at equal concurrency ` +
      `(worst window, ours with the ${CLIENT_NAME[judgedPing]})`,
    value: worst,
    threshold: 10,
    compare: ">=",
    detail: detail || "no data",
  });
}

/** 4. p50 below grpc-js. */
function p50VsGrpc(result: BenchResult): TargetRecord {
  const ours = result.latency.find((l) => l.server === "zpb")?.latency?.p50Us;
  const grpc = result.latency.find((l) => l.server === "grpc")?.latency?.p50Us;
  return target({
    id: "p50-vs-grpc",
    description: "zpb p50 round trip < grpc-js p50 (ratio < 1)",
    value: ratio(ours, grpc),
    threshold: 1,
    compare: "<",
    detail: ours !== undefined && grpc !== undefined ? `${ours} µs vs ${grpc} µs` : "no data",
  });
}

/**
 * 5. Zero lost replies in every request/reply run of ours; the peers' losses are findings. A run of ours
 * that failed proves nothing was kept, so it counts against the target (one each) beside the lost replies.
 */
function zeroLost(result: BenchResult): TargetRecord {
  const ours = result.throughput.filter((r) => r.server === "zpb");
  const oursLatency = result.latency.filter((l) => l.server === "zpb");
  const lost =
    ours.reduce((n, r) => n + r.lost + r.duplicates + r.unexpected, 0) +
    oursLatency.reduce((n, l) => n + l.lost + l.unexpected, 0);
  const failed = [...ours, ...oursLatency].filter((r) => r.error !== undefined).length;
  const peers = result.throughput
    .filter((r) => r.server !== "zpb" && r.lost + r.duplicates > 0)
    .map(
      (r) =>
        `${r.server}${r.server === "piscina" ? `×${r.workers}` : ""} ${r.scenario} w${r.window}` +
        `${r.client === "native" ? " (native client)" : ""}: ${r.lost + r.duplicates} lost`,
    );
  const runs = ours.length + oursLatency.length;
  const failures = failed > 0 ? `, ${failed} failed` : "";
  return target({
    id: "zero-lost",
    description: "zpb loses no reply and fails no run in any request/reply run (lost replies + failed runs)",
    value: runs > 0 ? lost + failed : null,
    threshold: 0,
    compare: "<=",
    detail:
      `${runs} runs of ours${failures}, ${lost} lost` +
      (peers.length ? `; peers: ${peers.join("; ")}` : "; no peer lost any either"),
  });
}

/** Computes every target from the run's records. */
export function judgeTargets(result: BenchResult): TargetRecord[] {
  const shape = shapeOf(result);
  return [
    pooledVsPlainRouter(result, shape),
    cpuScaling(result, shape),
    pooledVsGrpc(result, shape),
    p50VsGrpc(result),
    zeroLost(result),
  ];
}
