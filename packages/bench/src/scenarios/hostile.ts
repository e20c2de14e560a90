// Scenario "hostile": a well-behaved REQ client's round trips (p50/p99) and our server's peak RSS, with and
// without attackers running — two clients that send 64 KiB to echo and never read (slow consumers) and a
// multipart flood (messages of many one-byte frames). The attacks and the limits that bound them are in
// @zpb/server's README ("Hardening").
import { HOSTILE_ATTACK_MS, hostileAttack } from "../options.js";
import type { Proc } from "../procs.js";
import { resourcesOf } from "../procs.js";
import type { HostileRecord, LatencyClientResult } from "../result.js";
import { startServer, stopServer } from "../servers.js";
import { endFailedRun, type ScenarioContext } from "./context.js";
import { sleep } from "../ipc.js";

/** How long the measured client waits for a reply (and for its first one) while the attackers run. */
const ATTACKED_REPLY_TIMEOUT_MS = 60_000;

/** Our server (largest worker count, echo on) without, then with, attackers. */
export async function runHostile(ctx: ScenarioContext): Promise<void> {
  const o = ctx.options;
  const attack = hostileAttack(o);
  for (const attackers of [false, true]) {
    if (ctx.signal.aborted) return;
    ctx.progress.begin(`hostile: zpb ×${Math.max(...o.workers)} ${attackers ? "under attack" : "without attackers"}`);
    const record: HostileRecord = { attackers, lost: 0 };
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    let attackProc: Proc | undefined;
    let client: Proc | undefined;
    try {
      server = await startServer(
        ctx.registry,
        { kind: "zpb", workers: Math.max(...o.workers), iterations: 0, echo: true, defaultReplyBound: true },
        ctx.serverCli,
      );
      if (attackers) {
        attackProc = ctx.registry.forkRole("attackers", {
          echoEndpoint: server.echoAddress,
          mainEndpoint: server.address,
          ...attack,
        });
        await attackProc.next("ready", 20_000);
        await sleep(HOSTILE_ATTACK_MS); // let the backlog build before measuring
      }
      // Under attack a round trip may wait as long as the flood holds every worker (seconds per flood
      // message while a worker unpacks it): the row should show that wait, not end in a timeout.
      const config = {
        count: o.latencyCount,
        warmup: Math.max(100, Math.floor(o.latencyCount / 10)),
        durationMs: o.durationMs * 2,
        replyTimeoutMs: attackers ? ATTACKED_REPLY_TIMEOUT_MS : 5000,
        probeTimeoutMs: attackers ? ATTACKED_REPLY_TIMEOUT_MS : 10_000,
      };
      client = ctx.registry.forkRole("req-client", { ...config, endpoint: server.address });
      await client.next("ready", config.probeTimeoutMs + 10_000);
      client.send({ type: "go" });
      const result = (await client.next("result", config.durationMs + config.replyTimeoutMs + 20_000))
        .data as LatencyClientResult;
      record.latency = result.latency;
      record.lost = result.lost;
      record.serverPeakRssMiB = Math.round(resourcesOf(server.proc.pid).peakRssBytes / 2 ** 20);
      if (attackProc !== undefined) {
        attackProc.send({ type: "stop" });
        record.attack = (await attackProc.next("result", 10_000)).data as HostileRecord["attack"];
      }
      const l = result.latency;
      ctx.progress.end(
        `p50 ${l.p50Us} µs, p99 ${l.p99Us} µs, lost ${result.lost}, server peak RSS ${record.serverPeakRssMiB} MiB`,
      );
    } catch (err) {
      record.error = endFailedRun(ctx, err);
    } finally {
      await client?.stop(3000);
      await attackProc?.stop(3000);
      if (server) await stopServer(server);
    }
    ctx.result.hostile ??= [];
    ctx.result.hostile.push(record);
  }
}
