// Scenario 7: the cost of encryption. Our server plaintext, then with --curve-key and --authorized-keys
// (CURVE + the ZAP allow-list, as it runs between hosts), in the same run with the same clients: pipelined
// Ping/Pong throughput at the first window and sequential REQ round trips.
import { makeCurveKeys } from "../curve-keys.js";
import type { CurveRecord } from "../result.js";
import { startServer, stopServer, ServerUnavailableError, type RunningServer, type ServerSpec } from "../servers.js";
import type { Proc } from "../procs.js";
import { messageOf, rate, type ScenarioContext } from "./context.js";
import { startLatencyClient } from "./latency.js";
import { runLoad } from "./load.js";

export async function runCurve(ctx: ScenarioContext): Promise<void> {
  const o = ctx.options;
  const workers = Math.max(...o.workers);
  const window = o.windows[0] ?? 100;
  const keys = await makeCurveKeys();
  try {
    for (const security of ["plaintext", "curve"] as const) {
      if (ctx.signal.aborted) return;
      const spec: ServerSpec = {
        kind: "zpb",
        workers,
        iterations: 0,
        ...(security === "curve" ? { curve: keys } : {}),
      };
      const record: CurveRecord = { security, workers, window, sent: 0, received: 0, lost: 0, msgsPerSec: 0 };
      ctx.result.curve?.push(record);
      let server: RunningServer | undefined;
      let client: Proc | undefined;
      try {
        ctx.progress.begin(`curve: ${security} w${window}`);
        server = await startServer(ctx.registry, spec, ctx.serverCli);
        const load = await runLoad(ctx, server, {
          scenario: "pingpong",
          window,
          count: o.count,
          durationMs: o.durationMs,
          repeat: 0,
          client: "js",
        });
        Object.assign(record, {
          sent: load.sent,
          received: load.received,
          lost: load.lost,
          msgsPerSec: load.msgsPerSec,
        });
        if (load.error) throw new Error(load.error);
        ctx.progress.end(`${rate(load.msgsPerSec)} msg/s, lost ${load.lost}`);
        ctx.progress.begin(`curve: ${security} latency`);
        const started = startLatencyClient(ctx, server);
        client = started.client;
        const result = await started.result;
        record.latency = result.latency;
        ctx.progress.end(`p50 ${result.latency.p50Us} µs, p99 ${result.latency.p99Us} µs`);
      } catch (err) {
        record.error = messageOf(err);
        ctx.progress.end(
          err instanceof ServerUnavailableError
            ? "skipped (server not built)"
            : `FAILED: ${record.error.split("\n")[0]}`,
        );
      } finally {
        await client?.stop(3000);
        if (server) await stopServer(server);
      }
    }
  } finally {
    keys.remove();
  }
}
