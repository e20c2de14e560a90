// Scenario 1: sequential Ping→Pong round trips (REQ client; grpc-js unary for the grpc peer).
import { serverLabel, startServer, stopServer, type RunningServer, type ServerSpec } from "../servers.js";
import type { LatencyClientResult, LatencyRecord } from "../result.js";
import type { Proc } from "../procs.js";
import { endFailedRun, type ScenarioContext } from "./context.js";

/**
 * Forks the latency client for `server` (REQ, or grpc-js unary for grpc; CURVE keys when the server has
 * them) and resolves with its result; `client` is there to stop it whatever happens.
 */
export function startLatencyClient(
  ctx: ScenarioContext,
  server: RunningServer,
): { client: Proc; result: Promise<LatencyClientResult> } {
  const o = ctx.options;
  const config = {
    count: o.latencyCount,
    warmup: Math.max(100, Math.floor(o.latencyCount / 10)),
    durationMs: o.durationMs * 2,
    replyTimeoutMs: 5000,
  };
  const curve = server.spec.curve ? { curve: server.spec.curve.client } : {};
  const client =
    server.spec.kind === "grpc"
      ? ctx.registry.forkRole("grpc-latency-client", { ...config, target: server.address })
      : ctx.registry.forkRole("req-client", { ...config, endpoint: server.address, ...curve });
  const result = (async () => {
    await client.next("ready", 20_000);
    client.send({ type: "go" });
    return (await client.next("result", config.durationMs + 20_000)).data as LatencyClientResult;
  })();
  return { client, result };
}

/** Runs the latency client against ours (largest worker count), a plain REP and grpc-js. */
export async function runLatency(ctx: ScenarioContext): Promise<void> {
  const o = ctx.options;
  const specs: ServerSpec[] = [
    { kind: "zpb", workers: Math.max(...o.workers), iterations: 0 },
    { kind: "plain-rep", workers: 1, iterations: 0 },
    { kind: "grpc", workers: 1, iterations: 0 },
  ];
  for (const spec of specs) {
    if (ctx.signal.aborted) return;
    ctx.progress.begin(`latency ${serverLabel(spec.kind, spec.workers)}`);
    const record: LatencyRecord = {
      server: spec.kind,
      workers: spec.workers,
      lost: 0,
      unexpected: 0,
      clientCpuSeconds: 0,
    };
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    let client: Proc | undefined;
    try {
      server = await startServer(ctx.registry, spec, ctx.serverCli);
      const started = startLatencyClient(ctx, server);
      client = started.client;
      const result = await started.result;
      record.latency = result.latency;
      record.lost = result.lost;
      record.unexpected = result.unexpected;
      record.clientCpuSeconds = Math.round(result.cpuSeconds * 1000) / 1000;
      const l = result.latency;
      ctx.progress.end(
        `p50 ${l.p50Us} µs, p99 ${l.p99Us} µs, max ${l.maxUs} µs (${l.count} round trips), lost ${result.lost}`,
      );
    } catch (err) {
      record.error = endFailedRun(ctx, err);
    } finally {
      await client?.stop(3000);
      if (server) await stopServer(server);
    }
    ctx.result.latency.push(record);
  }
}
