// The runner: machine, calibration, every scenario under its own watchdog, targets, then the
// JSON, the report and the charts under the results folder.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { machineInfo } from "./machine.js";
import {
  clientKinds,
  plannedSteps,
  scenarioBudgetMs,
  type BenchOptions,
  type ClientChoice,
  type ScenarioName,
} from "./options.js";
import type { Progress } from "./progress.js";
import type { ProcessRegistry } from "./procs.js";
import type { BenchResult } from "./result.js";
import { findServerCli } from "./servers.js";
import { buildNative, type NativeBuild } from "./native.js";
import { HEAVY_ITERATIONS, busyWork } from "./work.js";
import { messageOf, type ScenarioContext } from "./scenarios/context.js";
import { runLatency } from "./scenarios/latency.js";
import { runThroughput } from "./scenarios/throughput.js";
import { runPubSub } from "./scenarios/pubsub.js";
import { runCodec } from "./scenarios/codec.js";
import { runBatch } from "./scenarios/batch.js";
import { runCurve } from "./scenarios/curve.js";
import { runHostile } from "./scenarios/hostile.js";
import { judgeTargets } from "./report/targets.js";
import { renderReport } from "./report/table.js";
import { renderCharts } from "./report/charts.js";

const SCENARIO_RUNNERS: Record<ScenarioName, (ctx: ScenarioContext) => Promise<void>> = {
  latency: runLatency,
  throughput: (ctx) => runThroughput(ctx, "pingpong"),
  scaling: (ctx) => runThroughput(ctx, "cpu"),
  pubsub: runPubSub,
  codec: runCodec,
  batch: runBatch,
  curve: runCurve,
  hostile: runHostile,
};

/** Median µs of one CPU-heavy request's busy work, measured in this (idle) process. */
export function calibrateHeavy(samples = 41): number {
  const times: number[] = [];
  busyWork(HEAVY_ITERATIONS, 1);
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    busyWork(HEAVY_ITERATIONS, i + 2);
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[samples >> 1]!);
}

/** Runs the selected scenarios; never throws for a scenario's failure (it is recorded in `errors`). */
export async function runBench(
  requested: BenchOptions,
  registry: ProcessRegistry,
  progress: Progress,
  signal: AbortSignal,
  command: string,
): Promise<BenchResult> {
  const { options, native, router } = resolveNative(requested, progress);
  const { out: _out, pidLog: _pidLog, ...recordedOptions } = options;
  const result: BenchResult = {
    schema: "zpb-bench/1",
    startedAt: new Date().toISOString(),
    finishedAt: "",
    quick: options.quick,
    command,
    options: recordedOptions,
    machine: machineInfo(),
    calibration: { heavyIterations: HEAVY_ITERATIONS, heavyMicros: calibrateHeavy() },
    loadClients: {
      kinds: clientKinds(options.client),
      native: native.ok ? { available: true, detail: native.binary } : { available: false, detail: native.reason },
    },
    nativeRouter: router.ok ? { available: true, detail: router.binary } : { available: false, detail: router.reason },
    latency: [],
    hostile: [],
    throughput: [],
    pubsub: [],
    batch: [],
    batchPubsub: [],
    curve: [],
    codec: [],
    resources: [],
    targets: [],
    errors: [],
    processes: registry.started,
  };
  const serverCli = findServerCli(options.serverCli);
  if (!serverCli) progress.note("note: @zpb/server's CLI is not built: runs of our server are skipped");

  progress.plan(options.only.reduce((n, s) => n + plannedSteps(options, s), 0));
  for (const scenario of options.only) {
    if (signal.aborted) break;
    const budget = scenarioBudgetMs(options, scenario);
    const watchdog = new AbortController();
    const onAbort = (): void => watchdog.abort();
    signal.addEventListener("abort", onAbort);
    const ctx: ScenarioContext = {
      options,
      registry,
      progress,
      signal: watchdog.signal,
      serverCli,
      nativeClient: native.ok ? native.binary : undefined,
      nativeRouter: router.ok ? router.binary : undefined,
      result,
    };
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), budget)));
    const running = SCENARIO_RUNNERS[scenario](ctx).then(
      () => "done" as const,
      (err: unknown) => err,
    );
    const outcome = await Promise.race([running, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      watchdog.abort();
      result.errors.push({
        scenario,
        message: `watchdog: scenario exceeded its ${Math.round(budget / 1000)} s budget; its processes were killed`,
      });
      progress.note(`${scenario}: watchdog fired after ${Math.round(budget / 1000)} s, killing its processes`);
      await registry.stopAll(1000);
      await Promise.race([running, new Promise((r) => setTimeout(r, 5000))]);
    } else if (outcome !== "done") {
      result.errors.push({ scenario, message: messageOf(outcome) });
      progress.note(`${scenario}: failed: ${messageOf(outcome)}`);
    }
    signal.removeEventListener("abort", onAbort);
    await registry.stopAll(2000); // nothing of one scenario runs into the next
  }
  result.finishedAt = new Date().toISOString();
  result.targets = judgeTargets(result);
  return result;
}

/**
 * Builds the native programs the throughput and scaling runs may use, and settles `--client`:
 * "auto" becomes both when the native client built, else js; "native"/"both" without it fall back
 * to js with one line saying why (a missing compiler never fails a run). The native ROUTER peer
 * is measured whenever it builds, unless --no-native-router.
 */
function resolveNative(
  options: BenchOptions,
  progress: Progress,
): { options: BenchOptions; native: NativeBuild; router: NativeBuild } {
  const loadRuns = options.only.some((s) => s === "throughput" || s === "scaling");
  const skipped = (reason: string): NativeBuild => ({ ok: false, reason });
  const native = !loadRuns
    ? skipped("no throughput or scaling scenario")
    : options.client === "js"
      ? skipped("--client js")
      : buildNative("load");
  const router = !loadRuns
    ? skipped("no throughput or scaling scenario")
    : !options.nativeRouter
      ? skipped("--no-native-router")
      : buildNative("router");
  let client: ClientChoice = options.client === "auto" ? (loadRuns ? "both" : "js") : options.client;
  if (!native.ok && client !== "js") {
    progress.note(`note: native load client unavailable (${native.reason}): using the JS client only`);
    client = "js";
  }
  if (!router.ok && loadRuns && options.nativeRouter)
    progress.note(`note: native ROUTER peer unavailable (${router.reason}): not measured`);
  for (const b of [native, router]) if (b.ok && b.built) progress.note(`built ${b.binary}`);
  return { options: { ...options, client, nativeRouter: router.ok }, native, router };
}

/** Writes `<stamp>.json`, `<stamp>.md` (the report) and `<stamp>-<chart>.svg`; returns their paths. */
export function writeResults(result: BenchResult, dir: string): { json: string; report: string; charts: string[] } {
  mkdirSync(dir, { recursive: true });
  const stamp = result.startedAt.replace(/:/g, "-").replace(/\.\d+Z$/, "Z") + (result.quick ? "-quick" : "");
  const json = join(dir, `${stamp}.json`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  const report = join(dir, `${stamp}.md`);
  const charts = Object.entries(renderCharts(result)).map(([name, svg]) => {
    const file = join(dir, `${stamp}-${name}.svg`);
    writeFileSync(file, svg);
    return file;
  });
  const links = charts.map((c) => basename(c)).map((name) => `![${name.replace(/^.*-(\w+)\.svg$/, "$1")}](./${name})`);
  writeFileSync(report, `${renderReport(result)}\n${links.join("\n")}\n`);
  return { json, report, charts };
}
