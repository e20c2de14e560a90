// zpb-bench: `node dist/cli.js [--quick] [--only latency,throughput,...] [--workers 1,2] ...`
import { Command, InvalidArgumentError, Option } from "commander";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CLIENT_CHOICES,
  SCENARIOS,
  defaultOptions,
  type ClientChoice,
  type BenchOptions,
  type ScenarioName,
} from "./options.js";
import { ProcessRegistry } from "./procs.js";
import { createProgress } from "./progress.js";
import { renderReport } from "./report/table.js";
import { runBench, writeResults } from "./run.js";
import { PACKAGE_DIR } from "./servers.js";

function positiveInts(value: string): number[] {
  const list = value.split(",").map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError("expected positive integers, comma-separated");
  return list;
}
function positiveInt(value: string): number {
  return positiveInts(value)[0]!;
}
function scenarios(value: string): ScenarioName[] {
  const list = value.split(",").map((s) => s.trim());
  const bad = list.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (bad.length) throw new InvalidArgumentError(`unknown scenario ${bad.join(", ")}; known: ${SCENARIOS.join(", ")}`);
  return list as ScenarioName[];
}
function clientChoice(value: string): ClientChoice {
  if (!(CLIENT_CHOICES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${CLIENT_CHOICES.join(", ")}`);
  return value as ClientChoice;
}
function hwms(value: string): Array<number | "default"> {
  return value.split(",").map((s) => {
    if (s.trim() === "default") return "default";
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError("expected 'default' or integers ≥ 0 (0 = unlimited)");
    return n;
  });
}

const program = new Command()
  .name("zpb-bench")
  .description(
    "Measures the zpb server side by side with plain zeromq, piscina and grpc-js (each server and client in its own process).",
  )
  .option("--quick", "same scenarios, small counts (< 60 s)", false)
  .option("--only <scenarios>", `comma-separated subset of: ${SCENARIOS.join(", ")}`, scenarios)
  .option("--workers <list>", "worker counts of our server, e.g. 1,2 (default 1..cores)", positiveInts)
  .option("--windows <list>", "requests in flight, e.g. 100,1000,4000", positiveInts)
  .option("--clients <n>", "load-client processes per run (the window is split between them)", positiveInt)
  .option(
    "--client <kind>",
    "load client of the throughput and scaling runs: js (zeromq.js), native (native/load.c on libzmq), both (default: both when the native client builds, else js)",
    clientChoice,
  )
  .option("--no-native-router", "leave out the libzmq native C ROUTER peer (native/router.c)")
  .option("--count <n>", "requests per throughput run (cap)", positiveInt)
  .option("--duration <ms>", "time cap of one run's sending phase", positiveInt)
  .option("--latency-count <n>", "round trips per latency run", positiveInt)
  .option("--heavy-count <n>", "requests per CPU-heavy run", positiveInt)
  .option("--heavy-windows <list>", "windows of the CPU-heavy runs", positiveInts)
  .option("--pubsub-count <n>", "messages per pub/sub run", positiveInt)
  .option("--pubsub-hwms <list>", "HWMs to try: default,100000,0 (0 = unlimited)", hwms)
  .option("--batch-sizes <list>", "scenario batch: messages per ZeroMQ message, e.g. 1,10,100", positiveInts)
  .option("--no-batch-pin", "scenario batch: leave out the runs against a server started with --pin")
  .option("--repeat <n>", "runs of each throughput configuration", positiveInt)
  .option("--out <dir>", "results folder", resolve(PACKAGE_DIR, "results"))
  .option("--server-cli <path>", "our server's CLI (default: @zpb/server's bin)")
  .option("--no-progress", "plain lines instead of a progress bar")
  .addOption(new Option("--pid-log <file>", "append 'pid role' of each started process (for audits)").hideHelp())
  .addOption(
    new Option(
      "--scenario-budget <ms>",
      "watchdog budget of every scenario (default: sized from the counts)",
    ).argParser(positiveInt),
  );

program.parse();
const flags = program.opts<Record<string, unknown>>();
const options: BenchOptions = { ...defaultOptions(Boolean(flags.quick), String(flags.out)) };
const map: Array<[string, keyof BenchOptions]> = [
  ["only", "only"],
  ["workers", "workers"],
  ["windows", "windows"],
  ["clients", "clients"],
  ["client", "client"],
  ["count", "count"],
  ["duration", "durationMs"],
  ["latencyCount", "latencyCount"],
  ["heavyCount", "heavyCount"],
  ["heavyWindows", "heavyWindows"],
  ["pubsubCount", "pubsubCount"],
  ["pubsubHwms", "pubsubHwms"],
  ["batchSizes", "batchSizes"],
  ["repeat", "repeat"],
  ["serverCli", "serverCli"],
  ["pidLog", "pidLog"],
  ["scenarioBudget", "scenarioBudgetMs"],
];
for (const [flag, key] of map)
  if (flags[flag] !== undefined) (options as unknown as Record<string, unknown>)[key] = flags[flag];
options.noProgress = flags.progress === false;
options.nativeRouter = flags.nativeRouter !== false;
options.batchPin = flags.batchPin !== false;

const registry = new ProcessRegistry(fileURLToPath(new URL("./child.js", import.meta.url)), options.pidLog);
const progress = createProgress(Boolean(process.stdout.isTTY) && !options.noProgress);
const interrupted = new AbortController();

// Whatever happens, no process we started outlives us.
process.on("exit", () => registry.killAllNow());
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (interrupted.signal.aborted) {
      registry.killAllNow();
      process.exit(130);
    }
    interrupted.abort();
    progress.stop();
    process.stdout.write(`\n${sig}: stopping ${registry.running.length} process(es)…\n`);
    void registry.stopAll(1500).finally(() => {
      registry.killAllNow();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  });
}

const command = `zpb-bench ${process.argv.slice(2).join(" ")}`.trim();
try {
  const result = await runBench(options, registry, progress, interrupted.signal, command);
  progress.stop();
  if (interrupted.signal.aborted) process.exit(130);
  const files = writeResults(result, options.out);
  process.stdout.write(`\n${renderReport(result)}\n`);
  process.stdout.write(`Results: ${files.json}\nReport:  ${files.report}\nCharts:  ${files.charts.join(", ")}\n`);
  const failed =
    result.errors.length > 0 ||
    [...result.throughput, ...result.latency, ...result.pubsub].some((r) => r.error && !r.error.includes("not built"));
  process.exit(failed ? 2 : 0);
} catch (err) {
  progress.stop();
  process.stderr.write(`zpb-bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  registry.killAllNow();
  process.exit(1);
}
