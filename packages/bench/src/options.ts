import { availableParallelism } from "node:os";
import type { ClientKind } from "./result.js";

/** The scenarios the runner knows; resources are measured with throughput. */
export const SCENARIOS = ["latency", "throughput", "scaling", "pubsub", "codec", "curve", "batch", "hostile"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * `--client`: which load clients drive the throughput and scaling runs; "auto" = both when the native one builds, else
 * js.
 */
export type ClientChoice = "js" | "native" | "both" | "auto";
export const CLIENT_CHOICES: readonly ClientChoice[] = ["js", "native", "both", "auto"];

/** The load clients a (resolved) choice runs, in table order; "auto" before resolution counts as js. */
export function clientKinds(choice: ClientChoice): ClientKind[] {
  return choice === "both" ? ["native", "js"] : choice === "native" ? ["native"] : ["js"];
}

/** Everything a run can be told; `defaultOptions()` holds every default in one place. */
export interface BenchOptions {
  quick: boolean;
  only: ScenarioName[];
  /** Worker counts of our pooled server (the peers' piscina pool uses the largest). */
  workers: number[];
  /** In-flight windows of the pipelined scenarios. */
  windows: number[];
  /** Load-client processes per run (the window is split between them). */
  clients: number;
  /** Load client kind(s) of the throughput and scaling runs. */
  client: ClientChoice;
  /** Also measure the "libzmq native" C ROUTER (native/router.c) when it builds. */
  nativeRouter: boolean;
  /** Requests per throughput run (cap). */
  count: number;
  /** Time cap of the sending phase of one throughput run. */
  durationMs: number;
  /** Round trips per latency run (after warm-up). */
  latencyCount: number;
  /** Requests per CPU-heavy run, and its windows. */
  heavyCount: number;
  heavyWindows: number[];
  /** Messages per pub/sub run, and the HWMs to try ("default" leaves libzmq's 1000, 0 = unlimited). */
  pubsubCount: number;
  pubsubHwms: Array<number | "default">;
  /** Scenario "batch": requests (or published messages) per ZeroMQ message; 1 is the single-frame wire. */
  batchSizes: number[];
  /** Scenario "batch": also run our server with --pin (at window 1000), to weigh pinning on against off. */
  batchPin: boolean;
  codecSampleMs: number;
  codecSamples: number;
  /** Runs of each throughput configuration (the table shows the median, and losses of every run). */
  repeat: number;
  /** Results folder (JSON and SVG). */
  out: string;
  /** Our server's CLI (default: @zpb/server's bin). */
  serverCli?: string;
  /** Appends "pid role" of every started process to this file (for audits). */
  pidLog?: string;
  /** Overrides every scenario's watchdog budget (ms); by default it is sized from the counts. */
  scenarioBudgetMs?: number;
  /** Print the table only, no progress bar (plain lines are used anyway when stdout is not a TTY). */
  noProgress: boolean;
}

/** Defaults for the full suite, or for the quick suite (same scenarios, small counts, < 60 s). */
export function defaultOptions(quick: boolean, resultsDir: string): BenchOptions {
  const cores = Math.max(1, availableParallelism());
  return {
    quick,
    only: [...SCENARIOS],
    workers: Array.from({ length: cores }, (_, i) => i + 1),
    windows: [100, 1000, 4000],
    clients: 1,
    client: "auto",
    nativeRouter: true,
    count: quick ? 20_000 : 400_000,
    durationMs: quick ? 1_200 : 8_000,
    latencyCount: quick ? 2_000 : 20_000,
    heavyCount: quick ? 1_500 : 20_000,
    heavyWindows: [100],
    pubsubCount: quick ? 50_000 : 1_000_000,
    pubsubHwms: ["default", 100_000, 0],
    batchSizes: [1, 10, 100],
    batchPin: true,
    codecSampleMs: quick ? 100 : 500,
    codecSamples: quick ? 3 : 7,
    repeat: 1,
    out: resultsDir,
    noProgress: false,
  };
}

/** Time bound of one scenario, from its counts: a watchdog ends it past this. */
export function scenarioBudgetMs(o: BenchOptions, scenario: ScenarioName): number {
  if (o.scenarioBudgetMs !== undefined) return o.scenarioBudgetMs;
  const perRun = o.durationMs + 15_000; // sending cap + spawn, probe, drain and stop margins
  const kinds = clientKinds(o.client).length;
  const native = o.nativeRouter ? 1 : 0;
  switch (scenario) {
    case "latency":
      return 4 * (o.durationMs * 4 + 15_000);
    case "throughput":
      return (o.workers.length + 3 + native) * (o.windows.length * o.repeat * kinds * perRun + 15_000);
    case "scaling":
      return (
        (o.workers.length + 2 + native) * (o.heavyWindows.length * o.repeat * kinds * (perRun + o.durationMs) + 15_000)
      );
    case "pubsub":
      return o.pubsubHwms.length * 60_000;
    case "codec":
      return 10 * o.codecSampleMs * o.codecSamples + 30_000;
    case "batch":
      return (plannedSteps(o, "batch") + 2) * (perRun + 5_000);
    case "curve":
      return 2 * (o.durationMs + 15_000 + o.durationMs * 4 + 15_000) + 15_000;
    case "hostile":
      return 2 * (o.durationMs * 4 + HOSTILE_ATTACK_MS + 30_000);
  }
}

/** How long the attackers of the "hostile" scenario run before the measured client starts. */
export const HOSTILE_ATTACK_MS = 2_000;

/** The attack of the "hostile" scenario: slow readers on echo and a multipart flood on the main endpoint. */
export function hostileAttack(o: BenchOptions): {
  slowReaders: number;
  payloadBytes: number;
  floodMessages: number;
  floodFrames: number;
} {
  return {
    slowReaders: 2,
    payloadBytes: 64 * 1024,
    floodMessages: o.quick ? 2 : 4,
    floodFrames: o.quick ? 100_000 : 1_000_000,
  };
}

/** Steps (runs) a scenario will report, so the progress bar knows its total from the start. */
export function plannedSteps(o: BenchOptions, scenario: ScenarioName): number {
  switch (scenario) {
    case "latency":
      return 3;
    case "throughput":
      // zeromq servers once per client kind; grpc-js only with its own (JS) client
      return (
        ((o.workers.length + 2 + (o.nativeRouter ? 1 : 0)) * clientKinds(o.client).length + 1) *
        o.windows.length *
        o.repeat
      );
    case "scaling":
      return (
        (o.workers.length + 2 + (o.nativeRouter ? 1 : 0)) *
        clientKinds(o.client).length *
        o.heavyWindows.length *
        o.repeat
      );
    case "pubsub":
      return o.pubsubHwms.length;
    case "hostile":
      return 2;
    case "codec":
      return 1;
    case "batch": {
      // request/reply: every size × window × client, the window-1 latency runs, the pinned runs; then pub/sub
      const kinds = clientKinds(o.client).length;
      const reqRep = o.batchSizes.length * (o.windows.length * kinds + 1);
      const pinned = o.batchPin ? o.batchSizes.length * kinds : 0;
      return reqRep + pinned + o.batchSizes.length + 2;
    }
    case "curve":
      return 4; // plaintext and CURVE: a throughput run and a latency run each
  }
}
