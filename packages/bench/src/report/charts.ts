// SVG charts drawn by echarts' server-side renderer (no DOM): throughput per server and worker
// count, CPU-heavy scaling, and the latency percentile curves.
import * as echarts from "echarts";
import type { BenchResult, ClientKind, ServerKind, ThroughputRecord } from "../result.js";
import { serverLabel } from "../servers.js";
import { cell, clientsIn, distinct } from "./aggregate.js";

const WIDTH = 900;
const HEIGHT = 480;

function render(option: echarts.EChartsOption): string {
  const chart = echarts.init(null, null, { renderer: "svg", ssr: true, width: WIDTH, height: HEIGHT });
  chart.setOption({ animation: false, backgroundColor: "#ffffff", ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** One bar group: a server at a worker count, driven by one client kind. */
type Column = [ServerKind, number, ClientKind];

function serversOf(result: BenchResult, scenario: ThroughputRecord["scenario"]): Column[] {
  const kinds: ServerKind[] = ["zpb", "plain-router", "native-router", "piscina", "grpc"];
  const clients = clientsIn(result, scenario);
  return kinds.flatMap((kind) =>
    distinct(result, scenario, "workers", kind).flatMap((w) =>
      (kind === "grpc" ? (["js"] as ClientKind[]) : clients).map((c): Column => [kind, w, c]),
    ),
  );
}

/** "zpb ×2", or "zpb ×2\nnative client" when the run has more than one client kind. */
function columnLabel([kind, workers, client]: Column, several: boolean): string {
  return several && kind !== "grpc"
    ? `${serverLabel(kind, workers)}\n${client === "native" ? "native" : "zeromq.js"} client`
    : serverLabel(kind, workers);
}

function throughputChart(
  result: BenchResult,
  scenario: ThroughputRecord["scenario"],
  title: string,
): string | undefined {
  const servers = serversOf(result, scenario);
  const several = clientsIn(result, scenario).length > 1;
  const windows = distinct(result, scenario, "window");
  if (servers.length === 0) return undefined;
  return render({
    title: { text: title, left: "center", textStyle: { fontSize: 15 } },
    tooltip: {},
    legend: { top: 34 },
    grid: { top: 80, left: 80, right: 30, bottom: 95 },
    // Tilted so "server ×N / client" labels of neighbouring groups do not run into each other.
    xAxis: {
      type: "category",
      data: servers.map((col) => columnLabel(col, several)),
      axisLabel: { interval: 0, fontSize: 10, rotate: 30 },
    },
    yAxis: { type: "log", name: "msgs/s (log)", nameGap: 15, min: 100 },
    series: windows.map((window) => ({
      name: `window ${window}`,
      type: "bar" as const,
      label: BAR_LABEL,
      data: servers.map(([k, w, client]) => {
        const c = cell(result, scenario, k, window, w, client);
        return c && !c.error && c.msgsPerSec > 0 ? c.msgsPerSec : null;
      }),
    })),
  });
}

/** A bar's value above it, as 71k / 1.20M. */
const BAR_LABEL = {
  show: true,
  position: "top" as const,
  fontSize: 9,
  formatter: (p: { value: unknown }) => kilo(Number(p.value)),
};

function kilo(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${Math.round(n / 1e3)}k` : String(Math.round(n));
}

function latencyChart(result: BenchResult): string | undefined {
  const runs = result.latency.filter((l) => l.latency);
  if (runs.length === 0) return undefined;
  const percentiles = runs[0]!.latency!.curve.map(([p]) => p);
  return render({
    title: {
      text: "Request/reply latency by percentile (sequential Ping→Pong)",
      left: "center",
      textStyle: { fontSize: 15 },
    },
    tooltip: { trigger: "axis" },
    legend: { top: 34 },
    grid: { top: 80, left: 80, right: 30, bottom: 50 },
    xAxis: {
      type: "category",
      name: "percentile",
      nameLocation: "middle",
      nameGap: 30,
      data: percentiles.map((p) => (p === 0 ? "min" : p === 100 ? "max" : `p${p}`)),
    },
    yAxis: { type: "log", name: "µs (log)", nameGap: 15 },
    series: runs.map((l) => ({
      name: serverLabel(l.server, l.workers),
      type: "line" as const,
      symbolSize: 6,
      data: l.latency!.curve.map(([, us]) => us),
    })),
  });
}

/** Scenario 8: msgs/s per batch size, one bar per request/reply window and client, and one per pub/sub pair. */
function batchChart(result: BenchResult): string | undefined {
  const runs = (result.batch ?? []).filter((r) => !r.pin && r.window > 1);
  const pubsub = (result.batchPubsub ?? []).filter((r) => r.publisher === "zpb");
  if (runs.length === 0 && pubsub.length === 0) return undefined;
  const sizes = [...new Set([...runs.map((r) => r.batch), ...pubsub.map((r) => r.batch)])].sort((a, b) => a - b);
  const columns = [...new Set(runs.map((r) => `${r.client === "js" ? "PipelinedClient" : "native"} w${r.window}`))];
  const bar = (n: number | undefined) => (n !== undefined && n > 0 ? n : null);
  return render({
    title: {
      text: "Batches: messages per second by batch size (our server; our pub/sub)",
      left: "center",
      textStyle: { fontSize: 15 },
    },
    tooltip: {},
    legend: { top: 34 },
    grid: { top: 80, left: 80, right: 30, bottom: 95 },
    xAxis: {
      type: "category",
      data: [...columns.map((c) => `req/rep ${c}`), "pub→sub"],
      axisLabel: { interval: 0, fontSize: 10, rotate: 30 },
    },
    yAxis: { type: "log", name: "msgs/s (log)", nameGap: 15, min: 1000 },
    series: sizes.map((batch) => ({
      name: `batch ${batch}`,
      type: "bar" as const,
      label: BAR_LABEL,
      data: [
        ...columns.map((c) =>
          bar(
            runs.find(
              (r) =>
                r.batch === batch &&
                `${r.client === "js" ? "PipelinedClient" : "native"} w${r.window}` === c &&
                !r.error,
            )?.msgsPerSec,
          ),
        ),
        bar(pubsub.find((r) => r.batch === batch && !r.error)?.msgsPerSec),
      ],
    })),
  });
}

/** Every chart this run has data for, as file suffix → SVG text. */
export function renderCharts(result: BenchResult): Record<string, string> {
  const charts: Record<string, string | undefined> = {
    throughput: throughputChart(result, "pingpong", "Pipelined Ping/Pong throughput per server and worker count"),
    scaling: throughputChart(
      result,
      "cpu",
      `CPU-heavy handler (~${result.calibration.heavyMicros} µs/request): throughput per worker count`,
    ),
    latency: latencyChart(result),
    batch: batchChart(result),
  };
  return Object.fromEntries(Object.entries(charts).filter((e): e is [string, string] => e[1] !== undefined));
}
