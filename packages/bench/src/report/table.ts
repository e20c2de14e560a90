// The report a person reads: Markdown tables (aligned, so they read in a terminal too), raw
// figures with the ratios that matter beside them.
import type { BenchResult, ClientKind, ServerKind } from "../result.js";
import { serverLabel } from "../servers.js";
import { cell, clientsIn, distinct, preferredClient, ratio } from "./aggregate.js";

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

const int = (n: number): string => Math.round(n).toLocaleString("en-US");
const times = (r: number | null, digits = 2): string => (r === null ? "–" : `${r.toFixed(digits)}×`);
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const mib = (b: number): string => (b / 1024 / 1024).toFixed(1);
/** A client process busier than this share of one core may be what limits a run. */
const CLIENT_BOUND = 0.9;

const CLIENT_LABEL: Record<ClientKind, string> = { native: "native (C)", js: "zeromq.js" };

function throughputSection(result: BenchResult, scenario: "pingpong" | "cpu"): string {
  const windows = distinct(result, scenario, "window");
  const zpbWorkers = distinct(result, scenario, "workers", "zpb");
  const oneWorker = zpbWorkers.includes(1) ? 1 : undefined;
  const kinds = clientsIn(result, scenario);
  const judged = preferredClient(result, scenario);
  const servers: Array<[ServerKind, number]> = [
    ...zpbWorkers.map((w): [ServerKind, number] => ["zpb", w]),
    ...(["plain-router", "native-router", "piscina", "grpc"] as ServerKind[]).flatMap((kind) =>
      distinct(result, scenario, "workers", kind).map((w): [ServerKind, number] => [kind, w]),
    ),
  ];
  const rows: string[][] = [];
  for (const [kind, workers] of servers) {
    for (const window of windows) {
      for (const client of kind === "grpc" ? (["js"] as ClientKind[]) : kinds) {
        const c = cell(result, scenario, kind, window, workers, client);
        if (!c) continue;
        const isOurs = kind === "zpb";
        const plain = cell(result, scenario, "plain-router", window, undefined, client)?.msgsPerSec;
        const grpc = cell(result, scenario, "grpc", window)?.msgsPerSec;
        const one =
          oneWorker === undefined ? undefined : cell(result, scenario, "zpb", window, oneWorker, client)?.msgsPerSec;
        rows.push([
          serverLabel(kind, workers),
          String(window),
          kind === "grpc" ? "grpc-js" : CLIENT_LABEL[client],
          c.error ? `error: ${c.error.split("\n")[0]!.slice(0, 60)}` : int(c.msgsPerSec),
          c.runs > 1 ? `${int(c.lost)} (${c.runsWithLoss}/${c.runs} runs)` : int(c.lost),
          isOurs ? times(ratio(c.msgsPerSec, plain)) : "",
          ...(scenario === "pingpong" ? [isOurs ? times(ratio(c.msgsPerSec, grpc), 1) : ""] : []),
          isOurs ? times(ratio(c.msgsPerSec, one)) : "",
          c.error ? "" : `${pct(c.clientCpuShare)}${c.clientCpuShare >= CLIENT_BOUND ? " ⚠" : ""}`,
        ]);
      }
    }
  }
  const head = [
    "server",
    "window",
    "client",
    "msgs/s",
    "lost",
    "÷ plain ROUTER",
    ...(scenario === "pingpong" ? ["÷ grpc-js"] : []),
    "÷ 1 worker",
    "client CPU",
  ];
  const bound = rows.some((r) => r[r.length - 1]!.endsWith("⚠"));
  const notes = [
    bound
      ? `⚠ the load client used ≥ ${pct(CLIENT_BOUND)} of a core: that figure may be the client's limit, not the server's (rerun with --clients 2 and compare).`
      : `Every load client stayed below ${pct(CLIENT_BOUND)} of a core: the figures are the servers' (client CPU = the busiest client process's user+system CPU ÷ wall time).`,
    "Ratios compare rows driven by the same client. " +
      (judged === "native"
        ? "The targets use the native (C) client's rows: per reply it costs about half of what the zeromq.js client does (see client CPU), so on this machine more of the cores go to the server under test; the zeromq.js rows show what a JS client sees."
        : "The targets use the zeromq.js client's rows (no native client in this run: see `--client`)."),
  ];
  return `${table(head, rows)}\n\n${notes.join("\n\n")}`;
}

function hostileSection(result: BenchResult): string {
  const rows = (result.hostile ?? []).map((h) => {
    const label = h.attackers ? "under attack" : "no attackers";
    const s = h.latency;
    if (!s) return [label, `error: ${(h.error ?? "").split("\n")[0]!.slice(0, 60)}`, "", "", "", ""];
    const attack = h.attack
      ? `${h.attack.slowReaderSends} unread 64 KiB echo requests; ${h.attack.floodMessages} × ${h.attack.floodFrames}-frame messages`
      : "—";
    return [label, int(s.p50Us), int(s.p99Us), String(h.lost), String(h.serverPeakRssMiB ?? ""), attack];
  });
  const head = ["run", "p50 µs", "p99 µs", "lost", "server peak RSS MiB", "attack"];
  return `${table(head, rows)}\n\nThe measured client: sequential REQ Ping→Pong on the main endpoint while two DEALERs send 64 KiB to echo and never read, and raw ZMTP peers send the multipart flood (see @zpb/server's README, "Hardening").`;
}

function latencySection(result: BenchResult): string {
  const ours = result.latency.find((l) => l.server === "zpb")?.latency?.p50Us;
  const rows = result.latency.map((l) => {
    const s = l.latency;
    const label = serverLabel(l.server, l.workers);
    if (!s) return [label, `error: ${(l.error ?? "").split("\n")[0]!.slice(0, 60)}`, "", "", "", "", "", "", ""];
    return [
      label,
      String(s.count),
      int(s.minUs),
      int(s.p50Us),
      int(s.p90Us),
      int(s.p99Us),
      int(s.maxUs),
      l.server === "zpb" ? "" : times(ratio(ours, s.p50Us)),
      String(l.lost),
    ];
  });
  return table(
    ["server", "round trips", "min µs", "p50 µs", "p90 µs", "p99 µs", "max µs", "ours p50 ÷ this p50", "lost"],
    rows,
  );
}

function curveSection(result: BenchResult): string {
  const records = result.curve ?? [];
  const plain = records.find((r) => r.security === "plaintext");
  const rows = records.map((r) => {
    const label = r.security === "curve" ? `zpb ×${r.workers}, CURVE + allow-list` : `zpb ×${r.workers}, plaintext`;
    if (r.error) return [label, `error: ${r.error.split("\n")[0]!.slice(0, 60)}`, "", "", "", "", ""];
    return [
      label,
      int(r.msgsPerSec),
      String(r.lost),
      r.latency ? int(r.latency.p50Us) : "",
      r.latency ? int(r.latency.p99Us) : "",
      r.security === "curve" ? times(ratio(r.msgsPerSec, plain?.msgsPerSec)) : "",
      r.security === "curve" ? times(ratio(r.latency?.p50Us, plain?.latency?.p50Us)) : "",
    ];
  });
  const window = records[0]?.window ?? "";
  return table(
    ["server", `msgs/s (window ${window})`, "lost", "p50 µs", "p99 µs", "msgs/s ÷ plaintext", "p50 ÷ plaintext"],
    rows,
  );
}

function pubsubSection(result: BenchResult): string {
  return table(
    ["HWM (PUB send, SUB receive)", "received msgs/s", "published msgs/s", "sent", "lost", "lost %", "seq gaps"],
    result.pubsub.map((p) => [
      p.hwm === "default" ? "default (1000)" : p.hwm === 0 ? "unlimited (0)" : int(p.hwm),
      p.error ? `error: ${p.error.split("\n")[0]!.slice(0, 60)}` : int(p.msgsPerSec),
      int(p.publisherMsgsPerSec),
      int(p.sent),
      int(p.lost),
      `${p.lostPercent}%`,
      int(p.gaps),
    ]),
  );
}

function codecSection(result: BenchResult): string {
  const get = (impl: string, op: string): number | undefined =>
    result.codec.find((c) => c.impl === impl && c.op === op)?.opsPerSec;
  const impls = [...new Set(result.codec.map((c) => c.impl))];
  return table(
    ["codec", "encode ops/s", "÷ protobufjs", "decode ops/s", "÷ protobufjs"],
    impls.map((impl) => {
      const enc = get(impl, "encode");
      const dec = get(impl, "decode");
      const isPlain = impl === "protobufjs";
      return [
        impl,
        enc === undefined ? "–" : int(enc),
        isPlain ? "" : times(ratio(enc, get("protobufjs", "encode"))),
        dec === undefined ? "(same as zpb)" : int(dec),
        isPlain || dec === undefined ? "" : times(ratio(dec, get("protobufjs", "decode"))),
      ];
    }),
  );
}

function resourcesSection(result: BenchResult): string {
  return table(
    ["scenario", "server", "peak RSS MiB", "CPU s", "alive s", "answered", "CPU µs / reply", "exit"],
    result.resources.map((r) => [
      r.scenario,
      serverLabel(r.server, r.workers),
      mib(r.peakRssBytes),
      r.cpuSeconds.toFixed(2),
      r.wallSeconds.toFixed(1),
      int(r.answered),
      r.answered > 0 ? ((r.cpuSeconds / r.answered) * 1e6).toFixed(1) : "–",
      r.exitCode === null ? "killed" : String(r.exitCode),
    ]),
  );
}

function targetsSection(result: BenchResult): string {
  return table(
    ["target", "value", "met", "detail"],
    result.targets.map((t) => [
      t.description,
      t.value === null ? "–" : t.id === "zero-lost" ? String(t.value) : t.value.toFixed(2),
      t.met === null ? "no data" : t.met ? "MET" : "NOT MET",
      t.detail,
    ]),
  );
}

/** Scenario 8: batched Ping/Pong through our server (per batch size, window, client, pin) and batched pub/sub. */
function batchSection(result: BenchResult): string {
  const runs = result.batch ?? [];
  const single = (client: ClientKind, window: number, pin: boolean) =>
    runs.find((r) => r.batch === 1 && r.client === client && r.window === window && r.pin === pin && !r.error);
  const reqRep = table(
    [
      "batch",
      "window",
      "client",
      "pin",
      "msgs/s",
      "× batch 1",
      "lost",
      "envelopes / server core-s",
      "p50 / p99 µs",
      "client CPU",
    ],
    runs.map((r) => [
      String(r.batch),
      String(r.window),
      r.client === "js" ? "PipelinedClient" : CLIENT_LABEL[r.client],
      r.pin ? "yes" : "no",
      r.error ? `error: ${r.error.split("\n")[0]!.slice(0, 60)}` : int(r.msgsPerSec),
      times(ratio(r.msgsPerSec, single(r.client, r.window, r.pin)?.msgsPerSec)),
      int(r.lost),
      int(r.envelopesPerCoreSecond),
      r.p50Us === undefined ? "–" : `${r.p50Us} / ${r.p99Us}`,
      r.error ? "" : `${pct(r.clientCpuShare)}${r.clientCpuShare >= CLIENT_BOUND ? " ⚠" : ""}`,
    ]),
  );
  const plainLoop = (result.batchPubsub ?? []).find((r) => r.publisher === "plain" && r.subscriber === "plain");
  const pubsub = table(
    ["batch", "publisher → subscriber", "msgs/s received", "× plain SUB loop", "lost", "publisher msgs/s"],
    (result.batchPubsub ?? []).map((r) => [
      String(r.batch),
      `${r.publisher === "zpb" ? "TopicPublisher" : "plain PUB"} → ${r.subscriber === "zpb" ? "Subscription" : "plain SUB loop"}`,
      r.error ? `error: ${r.error.split("\n")[0]!.slice(0, 60)}` : int(r.msgsPerSec),
      times(ratio(r.msgsPerSec, plainLoop?.msgsPerSec)),
      int(r.lost),
      int(r.publisherMsgsPerSec),
    ]),
  );
  return `${reqRep}\n\n${pubsub}`;
}

/** The whole report: machine, every scenario's table, targets. */
export function renderReport(result: BenchResult): string {
  const m = result.machine;
  const libs = Object.entries(m.libs)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const o = result.options;
  const parts = [
    `## zpb bench, ${result.startedAt}${result.quick ? " (quick)" : ""}`,
    "",
    `Machine: ${m.cpuModel}, ${m.cores} cores (available parallelism ${m.availableParallelism}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Linux ${m.kernel}, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(" ")}`,
    `Libraries: ${libs}`,
    `Command: \`${result.command}\` — ${o.clients} load-client process(es), ${o.repeat} repeat(s); CPU-heavy request = ${result.calibration.heavyIterations} busy iterations ≈ ${result.calibration.heavyMicros} µs here`,
  ];
  const lc = result.loadClients;
  if (lc) {
    const names = lc.kinds.map((k) => CLIENT_LABEL[k]).join(" and ");
    parts.push(
      `Load clients (throughput, scaling): ${names}${lc.native.available ? "" : ` (native client not used: ${lc.native.detail})`}`,
    );
  }
  if (result.nativeRouter && !result.nativeRouter.available) {
    parts.push(`libzmq native (C) ROUTER peer not measured: ${result.nativeRouter.detail}`);
  }
  const has = (s: string): boolean => (o.only as string[]).includes(s);
  if (has("latency"))
    parts.push("", "### 1. Request/reply latency (sequential Ping→Pong, µs)", "", latencySection(result));
  if (has("throughput"))
    parts.push(
      "",
      "### 2. Pipelined Ping/Pong throughput (DEALER client, requests in flight = window)",
      "",
      throughputSection(result, "pingpong"),
    );
  if (has("scaling"))
    parts.push(
      "",
      `### 3. Core scaling, CPU-heavy handler (~${result.calibration.heavyMicros} µs per request)`,
      "",
      throughputSection(result, "cpu"),
    );
  if (has("pubsub")) parts.push("", "### 4. Publish/subscribe (PUB process → SUB process)", "", pubsubSection(result));
  if (has("codec")) parts.push("", "### 5. Envelope codec", "", codecSection(result));
  if (has("curve"))
    parts.push(
      "",
      "### 7. The cost of encryption (CURVE vs plaintext, same run, zeromq.js clients)",
      "",
      curveSection(result),
    );
  if (has("batch") && (result.batch?.length || result.batchPubsub?.length))
    parts.push(
      "",
      "### 8. Batches (many messages per ZeroMQ message; our server with all workers, HWMs unlimited for pub/sub)",
      "",
      batchSection(result),
    );
  if (has("hostile"))
    parts.push("", "### 9. Under attack (slow consumers and a multipart flood)", "", hostileSection(result));
  if (has("throughput") || has("scaling"))
    parts.push(
      "",
      "### 6. Server resources (over all windows of the scenario; read from /proc before stop)",
      "",
      resourcesSection(result),
    );
  parts.push("", "### Targets", "", targetsSection(result));
  if (result.errors.length)
    parts.push("", "### Errors", "", ...result.errors.map((e) => `- ${e.scenario}: ${e.message.split("\n")[0]}`));
  return `${parts.join("\n")}\n`;
}
