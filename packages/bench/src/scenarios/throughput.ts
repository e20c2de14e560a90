// Scenarios 2, 3 and 6: pipelined Ping/Pong throughput (light, or with the CPU-heavy handler)
// against each server, every window, each server kept up across windows; its peak RSS and CPU
// read from /proc just before it is stopped.
import { HEAVY_ITERATIONS } from "../work.js";
import { serverLabel, startServer, stopServer, ServerUnavailableError, type ServerSpec } from "../servers.js";
import { emptyThroughputRecord, type ClientKind, type ThroughputRecord } from "../result.js";
import { clientKinds } from "../options.js";
import { messageOf, rate, type ScenarioContext } from "./context.js";
import { runLoad } from "./load.js";

/** The servers of a throughput scenario, in table order. */
export function throughputServers(ctx: ScenarioContext, scenario: ThroughputRecord["scenario"]): ServerSpec[] {
  const iterations = scenario === "cpu" ? HEAVY_ITERATIONS : 0;
  const maxWorkers = Math.max(...ctx.options.workers);
  const specs: ServerSpec[] = ctx.options.workers.map((workers) => ({ kind: "zpb", workers, iterations }));
  specs.push({ kind: "plain-router", workers: 1, iterations });
  if (ctx.nativeRouter) specs.push({ kind: "native-router", workers: 1, iterations, binary: ctx.nativeRouter });
  specs.push({ kind: "piscina", workers: maxWorkers, iterations });
  if (scenario === "pingpong") specs.push({ kind: "grpc", workers: 1, iterations });
  return specs;
}

/** Runs every server × window × repeat of one throughput scenario. */
export async function runThroughput(ctx: ScenarioContext, scenario: ThroughputRecord["scenario"]): Promise<void> {
  const o = ctx.options;
  const windows = scenario === "cpu" ? o.heavyWindows : o.windows;
  const count = scenario === "cpu" ? o.heavyCount : o.count;
  const specs = throughputServers(ctx, scenario);
  // Each zeromq server is measured with every client kind asked for; grpc-js only with its own client.
  const kindsFor = (spec: ServerSpec): ClientKind[] => (spec.kind === "grpc" ? ["js"] : clientKinds(o.client));
  const both = clientKinds(o.client).length > 1;

  for (const spec of specs) {
    if (ctx.signal.aborted) return;
    const label = `${scenario} ${serverLabel(spec.kind, spec.workers)}`;
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      server = await startServer(ctx.registry, spec, ctx.serverCli);
    } catch (err) {
      const message = messageOf(err);
      for (const window of windows)
        for (const client of kindsFor(spec))
          for (let repeat = 0; repeat < o.repeat; repeat++) {
            ctx.result.throughput.push(emptyRecord(scenario, spec, window, client, repeat, o.clients, message));
            ctx.progress.begin(`${label} w${window}${both ? ` ${client}` : ""}`);
            ctx.progress.end(
              err instanceof ServerUnavailableError ? "skipped (server not built)" : `FAILED to start: ${message}`,
            );
          }
      continue;
    }
    let answered = 0;
    try {
      for (const window of windows) {
        for (const client of kindsFor(spec))
          for (let repeat = 0; repeat < o.repeat; repeat++) {
            if (ctx.signal.aborted) return;
            ctx.progress.begin(
              `${label} w${window}${both && spec.kind !== "grpc" ? ` ${client} client` : ""}${o.repeat > 1 ? ` #${repeat + 1}` : ""}`,
            );
            const record = await runLoad(ctx, server, {
              scenario,
              window,
              count,
              durationMs: o.durationMs,
              repeat,
              client,
            });
            ctx.result.throughput.push(record);
            answered += record.received;
            ctx.progress.end(
              record.error
                ? `FAILED: ${record.error.split("\n")[0]}`
                : `${rate(record.msgsPerSec)} msg/s, lost ${record.lost}${record.stalled ? " (stalled)" : ""}, client cpu ${Math.round(record.clientCpuShare * 100)}%`,
            );
          }
      }
    } finally {
      const { resources, exitCode } = await stopServer(server);
      if (resources) {
        ctx.result.resources.push({
          scenario,
          server: spec.kind,
          workers: spec.workers,
          answered,
          exitCode,
          ...resources,
        });
      }
      if (spec.kind === "zpb" && exitCode !== 0) {
        ctx.progress.note(
          `note: our server (${spec.workers} workers) exited with ${exitCode ?? "a kill"} after SIGTERM`,
        );
      }
    }
  }
}

function emptyRecord(
  scenario: ThroughputRecord["scenario"],
  spec: ServerSpec,
  window: number,
  client: ClientKind,
  repeat: number,
  clients: number,
  error: string,
): ThroughputRecord {
  return {
    ...emptyThroughputRecord({ scenario, server: spec.kind, workers: spec.workers, window, client, clients, repeat }),
    error,
  };
}
