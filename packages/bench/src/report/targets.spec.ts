import { describe, expect, it } from "vitest";
import type { BenchResult, ThroughputRecord } from "../result.js";
import { judgeTargets } from "./targets.js";
import { renderReport } from "./table.js";
import { renderCharts } from "./charts.js";

function run(
  scenario: ThroughputRecord["scenario"],
  server: ThroughputRecord["server"],
  workers: number,
  window: number,
  msgsPerSec: number,
  lost = 0,
  client: ThroughputRecord["client"] = "js",
): ThroughputRecord {
  return {
    scenario,
    server,
    workers,
    window,
    client,
    clients: 1,
    repeat: 0,
    sent: 1000,
    received: 1000 - lost,
    lost,
    duplicates: 0,
    unexpected: 0,
    stalled: false,
    msgsPerSec,
    clientCpuShare: 0.5,
    clientCpuSeconds: 0.1,
    serverCpuSeconds: 0.2,
  };
}

function result(throughput: ThroughputRecord[], p50: { zpb: number; grpc: number }): BenchResult {
  const summary = (p: number) => ({
    count: 10,
    minUs: 1,
    p50Us: p,
    p90Us: p,
    p99Us: p,
    p999Us: p,
    maxUs: p,
    meanUs: p,
    curve: [[50, p]] as Array<[number, number]>,
  });
  return {
    schema: "zpb-bench/1",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "",
    quick: true,
    command: "test",
    options: { only: ["latency", "throughput", "scaling"], clients: 1, repeat: 1 },
    machine: {
      cpuModel: "cpu",
      cores: 2,
      availableParallelism: 2,
      memoryBytes: 2 ** 30,
      kernel: "k",
      node: "v20",
      libs: {},
      loadAverageAtStart: [0, 0, 0],
    },
    calibration: { heavyIterations: 1, heavyMicros: 200 },
    loadClients: { kinds: ["js"], native: { available: false, detail: "test" } },
    nativeRouter: { available: false, detail: "test" },
    latency: [
      { server: "zpb", workers: 2, latency: summary(p50.zpb), lost: 0, unexpected: 0, clientCpuSeconds: 0 },
      { server: "grpc", workers: 1, latency: summary(p50.grpc), lost: 0, unexpected: 0, clientCpuSeconds: 0 },
    ],
    throughput,
    pubsub: [],
    codec: [],
    resources: [],
    targets: [],
    errors: [],
    processes: [],
  };
}

const byId = (r: BenchResult) => Object.fromEntries(judgeTargets(r).map((t) => [t.id, t]));

describe("judgeTargets", () => {
  it("judges each target on the worst window and marks met / not met", () => {
    const r = result(
      [
        run("pingpong", "zpb", 1, 100, 50_000),
        run("pingpong", "zpb", 2, 100, 120_000),
        run("pingpong", "zpb", 2, 1000, 90_000),
        run("pingpong", "plain-router", 1, 100, 100_000),
        run("pingpong", "plain-router", 1, 1000, 100_000, 7),
        run("pingpong", "grpc", 1, 100, 5_000),
        run("pingpong", "grpc", 1, 1000, 10_000),
        run("cpu", "zpb", 1, 100, 4_000),
        run("cpu", "zpb", 2, 100, 7_600),
      ],
      { zpb: 150, grpc: 400 },
    );
    const t = byId(r);
    // worst of 1.2 (w100) and 0.9 (w1000), at the largest worker count
    expect(t["pooled-vs-plain-router"]!.value).toBeCloseTo(0.9);
    expect(t["pooled-vs-plain-router"]!.met).toBe(false);
    expect(t["cpu-scaling-2-vs-1"]!.value).toBeCloseTo(1.9);
    expect(t["cpu-scaling-2-vs-1"]!.met).toBe(true);
    expect(t["pooled-vs-grpc"]!.value).toBeCloseTo(9); // 90k / 10k at w1000
    expect(t["pooled-vs-grpc"]!.met).toBe(false);
    expect(t["p50-vs-grpc"]!.value).toBeCloseTo(0.375);
    expect(t["p50-vs-grpc"]!.met).toBe(true);
    expect(t["zero-lost"]!.value).toBe(0);
    expect(t["zero-lost"]!.met).toBe(true);
    expect(t["zero-lost"]!.detail).toContain("plain-router pingpong w1000: 7 lost");
  });

  it("counts a lost reply of ours against the zero-lost target, and reports missing data as null", () => {
    const t = byId(result([run("pingpong", "zpb", 2, 4000, 80_000, 3)], { zpb: 500, grpc: 400 }));
    expect(t["zero-lost"]!.value).toBe(3);
    expect(t["zero-lost"]!.met).toBe(false);
    expect(t["p50-vs-grpc"]!.met).toBe(false);
    expect(t["pooled-vs-plain-router"]!.met).toBeNull();
    expect(t["cpu-scaling-2-vs-1"]!.value).toBeNull();
  });
});

describe("failed runs of ours", () => {
  const failed = (r: ThroughputRecord): ThroughputRecord => ({
    ...r,
    received: 0,
    lost: 0,
    msgsPerSec: 0,
    error: "server exited",
  });

  it("counts a run of ours that errored against the zero-lost target", () => {
    const t = byId(
      result([run("pingpong", "zpb", 2, 100, 120_000), failed(run("pingpong", "zpb", 2, 1000, 0))], {
        zpb: 150,
        grpc: 400,
      }),
    );
    expect(t["zero-lost"]!.value).toBe(1);
    expect(t["zero-lost"]!.met).toBe(false);
    expect(t["zero-lost"]!.detail).toMatch(/^3 runs of ours, 1 failed, 0 lost/);
  });

  it("counts a latency run of ours that errored against the zero-lost target", () => {
    const r = result([run("pingpong", "zpb", 2, 100, 120_000)], { zpb: 150, grpc: 400 });
    r.latency[0] = { ...r.latency[0]!, latency: undefined, error: "timed out" };
    expect(byId(r)["zero-lost"]!.met).toBe(false);
  });

  it("judges a server of ours that answered nothing (0 msgs/s) as NOT MET, not as missing data", () => {
    const t = byId(
      result(
        [
          failed(run("pingpong", "zpb", 2, 100, 0)),
          run("pingpong", "plain-router", 1, 100, 100_000),
          run("pingpong", "grpc", 1, 100, 5_000),
        ],
        { zpb: 150, grpc: 400 },
      ),
    );
    expect(t["pooled-vs-plain-router"]!.value).toBe(0);
    expect(t["pooled-vs-plain-router"]!.met).toBe(false);
    expect(t["pooled-vs-grpc"]!.met).toBe(false);
  });

  it("still reports no data when the peer compared against has no figure", () => {
    const t = byId(
      result([run("pingpong", "zpb", 2, 100, 120_000), failed(run("pingpong", "plain-router", 1, 100, 0))], {
        zpb: 150,
        grpc: 400,
      }),
    );
    expect(t["pooled-vs-plain-router"]!.met).toBeNull();
  });
});

describe("targets with two load clients", () => {
  const r = result(
    [
      run("pingpong", "zpb", 2, 100, 150_000, 0, "native"),
      run("pingpong", "plain-router", 1, 100, 120_000, 0, "native"),
      run("pingpong", "zpb", 2, 100, 80_000, 0, "js"),
      run("pingpong", "plain-router", 1, 100, 100_000, 0, "js"),
      run("pingpong", "grpc", 1, 100, 10_000, 0, "js"),
      run("cpu", "zpb", 1, 100, 4_000, 0, "native"),
      run("cpu", "zpb", 2, 100, 7_800, 0, "native"),
      run("cpu", "zpb", 1, 100, 4_000, 0, "js"),
      run("cpu", "zpb", 2, 100, 6_000, 0, "js"),
    ],
    { zpb: 150, grpc: 400 },
  );
  r.targets = judgeTargets(r);
  const t = byId(r);

  it("judges the native client's rows, each ratio within one client, and lists the JS client's ratios beside", () => {
    expect(t["pooled-vs-plain-router"]!.value).toBeCloseTo(1.25); // 150k / 120k, not 150k / 100k
    expect(t["pooled-vs-plain-router"]!.description).toContain("native client");
    expect(t["pooled-vs-plain-router"]!.detail).toBe("native client: w100 1.25×; zeromq.js client: w100 0.80×");
    expect(t["cpu-scaling-2-vs-1"]!.value).toBeCloseTo(1.95);
    expect(t["pooled-vs-grpc"]!.value).toBeCloseTo(15); // grpc-js always with its own client
  });

  it("prints a row per client, and says which rows the targets use", () => {
    const text = renderReport(r);
    expect(text).toMatch(/\| zpb ×2\s+\| 100\s+\| native \(C\)\s+\| 150,000\s+\| 0\s+\| 1\.25×/);
    expect(text).toMatch(/\| zpb ×2\s+\| 100\s+\| zeromq\.js\s+\| 80,000\s+\| 0\s+\| 0\.80×/);
    expect(text).toMatch(/\| grpc-js\s+\| 100\s+\| grpc-js\s+\| 10,000/);
    expect(text).toContain("The targets use the native (C) client's rows");
    expect(renderCharts(r).throughput).toContain("native client");
  });
});

describe("report and charts", () => {
  const r = result(
    [
      run("pingpong", "zpb", 2, 100, 120_000),
      run("pingpong", "plain-router", 1, 100, 100_000),
      run("pingpong", "grpc", 1, 100, 6_000),
    ],
    { zpb: 150, grpc: 400 },
  );
  r.targets = judgeTargets(r);

  it("prints raw figures with the ratios beside them", () => {
    const text = renderReport(r);
    expect(text).toMatch(/\| zpb ×2\s+\| 100\s+\| zeromq\.js\s+\| 120,000\s+\| 0\s+\| 1\.20×\s+\| 20\.0×/);
    // 120k / 100k = 1.20× ≥ 1.0 is MET; 20× ≥ 10× is MET; the cell must not read "NOT MET"
    expect(text).toMatch(/\| zpb ×2 ≥ 1\.0× plain ROUTER[^|]*\| 1\.20\s+\| MET\s+\|/);
    expect(text).toMatch(/\| zpb ×2 ≥ 10× grpc-js[^|]*\| 20\.00\s+\| MET\s+\|/);
  });

  it("prints NOT MET for a target that was missed", () => {
    const missed = result([run("pingpong", "zpb", 2, 100, 90_000), run("pingpong", "plain-router", 1, 100, 100_000)], {
      zpb: 150,
      grpc: 400,
    });
    missed.targets = judgeTargets(missed);
    expect(renderReport(missed)).toMatch(/\| zpb ×2 ≥ 1\.0× plain ROUTER[^|]*\| 0\.90\s+\| NOT MET\s+\|/);
  });

  it("draws SVG charts with echarts (server-side rendering)", () => {
    const charts = renderCharts(r);
    expect(Object.keys(charts).sort()).toEqual(["latency", "throughput"]);
    expect(charts.throughput).toMatch(/^<svg[^>]*width="900"/);
    expect(charts.throughput).toContain("zpb ×2");
    expect(charts.latency).toContain("grpc-js");
  });
});
