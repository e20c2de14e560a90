// The scale-out bench (not a test: `pnpm --filter @zpb/integration bench` or `bench:quick`, run by the root
// `pnpm bench`): real processes in network namespaces, one "host" each, on this one machine.
//
// 1. Joined hosts: a pure-router front (`--workers 0 --backend`) and 1, 2, 3 joined hosts with one worker
//    thread each, with the Ping handler and with ~200 µs of busy work per request (the server's
//    scripts/heavy-handler.mjs); a `zpb dealer` client on its own host. Throughput, p50, and the server side's CPU (front +
//    joined hosts, from /proc) — on a 2-core machine the hosts share the same cores, so the figure that
//    means something is requests per second per core of server CPU, not absolute scaling.
// 2. The cost of the tcp backend hop against inproc, one worker thread on one host: the plain server
//    (libzmq's proxy, inproc), the broker with its worker over inproc (`--backend`), and a pure router with
//    the worker on a joined host over tcp.
//
// Prints a table and writes it, with the raw figures, under packages/bench/results/ as hosts-<time>[-quick].
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { SERVER_CLI, ZPB_CLI, missingBuilds } from "../client/support.js";
import { packageDir } from "../support/processes.js";
import { type Host, type HostProcess, Network, NETNS_SKIP } from "../support/netns.js";

const QUICK = process.env.ZPB_BENCH_QUICK === "1";
const COUNT = QUICK ? 6_000 : 60_000;
const WINDOW = 100;
const REPEAT = QUICK ? 1 : 3;
const PORT = 7000;
const BACKEND = 7001;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux
/**
 * How long a server process may live: a front serves every run of its topology (3 host counts × 3 repeats of
 * 60 000 Pings), past the 2-minute bound a test process gets by default, which ended one mid-run here.
 */
const SERVER_BOUND_MS = 600_000;
/** The server's quick-compare handler: Ping → Pong after ~200 µs of busy work. */
const HEAVY_HANDLER = join(packageDir("@zpb/server"), "scripts", "heavy-handler.mjs");

interface Row {
  topology: string;
  handler: string;
  workerHosts: number;
  msgsPerSec: number;
  p50Ms: number;
  serverCores: number;
  perCore: number;
  lost: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

// --insecure: the namespaces' network is private; these servers and the joined hosts' link speak plaintext
// (a non-loopback --backend or --join needs CURVE or --insecure).
const serverArgs = ["--insecure", "--stats-interval", "0", "--no-echo"];

async function measure(
  network: Network,
  client: Host,
  endpoint: string,
  servers: HostProcess[],
  topology: string,
  workerHosts: number,
  handler = "ping",
): Promise<Row> {
  const runs: Row[] = [];
  for (let repeat = 0; repeat < REPEAT; repeat++) {
    const before = servers.map((s) => cpuSeconds(s.pid));
    const started = performance.now();
    const ended = await network.run(client, [
      ZPB_CLI,
      "dealer",
      "-e",
      endpoint,
      "-c",
      String(COUNT),
      "-w",
      String(WINDOW),
      "--json",
      "--no-progress",
    ]).done;
    const elapsed = (performance.now() - started) / 1000;
    const gone = servers.find((s) => !s.running);
    if (gone !== undefined) throw new Error(`a server process ended during the run:\n${gone.transcript()}`);
    const cpu = servers.reduce((sum, s, i) => sum + cpuSeconds(s.pid) - before[i]!, 0);
    const summary = JSON.parse(ended.stdout.trim().split("\n").at(-1)!) as {
      perSecond: number;
      elapsedMs: number;
      lost: number;
      latency: { p50Ms: number };
    };
    // Server cores over the client's whole run (process start included), rate over its measured part.
    const serverCores = cpu / elapsed;
    runs.push({
      topology,
      handler,
      workerHosts,
      msgsPerSec: summary.perSecond,
      p50Ms: summary.latency.p50Ms,
      serverCores,
      perCore: COUNT / cpu,
      lost: summary.lost,
    });
  }
  runs.sort((a, b) => a.msgsPerSec - b.msgsPerSec);
  return runs[runs.length >> 1]!; // the median run
}

it.skipIf(NETNS_SKIP !== undefined)(
  "scale-out bench",
  async () => {
    expect(missingBuilds()).toBeUndefined();
    const rows: Row[] = [];
    const network = Network.create(5);
    try {
      const [front, client, ...workers] = network.hosts as [Host, Host, Host, Host, Host];
      const endpoint = `tcp://${front.address}:${PORT}`;
      const backend = `tcp://${front.address}:${BACKEND}`;
      // --insecure: the host link is plaintext here too (a non-loopback --join needs CURVE or --insecure).
      const joinerArgs = ["--insecure", "--stats-interval", "0", "--join", backend, "--workers", "1"];
      const started = (p: HostProcess, text: string) => p.waitFor(text, 20_000).then(() => p);

      // 1. A pure router and 1..3 joined hosts, light and heavy requests.
      for (const [handler, path] of [
        ["ping", "ping"],
        ["200 µs busy", HEAVY_HANDLER],
      ] as const) {
        const router = await started(
          network.run(
            front,
            [SERVER_CLI, ...serverArgs, "--bind", endpoint, "--workers", "0", "--backend", backend, "--handler", path],
            SERVER_BOUND_MS,
          ),
          "hosts join on",
        );
        const joined: HostProcess[] = [];
        for (const host of workers) {
          joined.push(network.run(host, [SERVER_CLI, ...joinerArgs, "--handler", path], SERVER_BOUND_MS));
          await router.waitFor(new RegExp(`${joined.length} joined`), 20_000);
          const servers = [router, ...joined];
          rows.push(
            await measure(network, client, endpoint, servers, "pure router + joined hosts", joined.length, handler),
          );
        }
        for (const p of [...joined, router]) await p.stop();
      }

      // 2. One worker thread: inproc (proxy), inproc (broker), tcp (joined host on the same namespace).
      const plain = await started(
        network.run(front, [SERVER_CLI, ...serverArgs, "--bind", endpoint, "--workers", "1"], SERVER_BOUND_MS),
        "zpb server:",
      );
      rows.push(await measure(network, client, endpoint, [plain], "1 worker, inproc, libzmq proxy", 1));
      await plain.stop();
      const broker = await started(
        network.run(
          front,
          [SERVER_CLI, ...serverArgs, "--bind", endpoint, "--workers", "1", "--backend", backend],
          SERVER_BOUND_MS,
        ),
        "hosts join on",
      );
      rows.push(await measure(network, client, endpoint, [broker], "1 worker, inproc, broker", 1));
      await broker.stop();
      const pure = await started(
        network.run(
          front,
          [SERVER_CLI, ...serverArgs, "--bind", endpoint, "--workers", "0", "--backend", backend],
          SERVER_BOUND_MS,
        ),
        "hosts join on",
      );
      const local = network.run(front, [SERVER_CLI, ...joinerArgs], SERVER_BOUND_MS);
      await pure.waitFor("1 joined", 20_000);
      rows.push(await measure(network, client, endpoint, [pure, local], "1 worker, tcp backend hop (same host)", 1));
      await local.stop();
      await pure.stop();
    } finally {
      await network.destroy();
    }
    report(rows);
    for (const row of rows) expect(row.lost).toBe(0);
  },
  900_000,
);

function report(rows: Row[]): void {
  const header =
    "| topology | handler | worker hosts | msgs/s | p50 ms | server CPU (cores) | msgs/s per server core |\n|---|---|---|---|---|---|---|";
  const lines = rows.map(
    (r) =>
      `| ${r.topology} | ${r.handler} | ${r.workerHosts} | ${Math.round(r.msgsPerSec)} | ${r.p50Ms.toFixed(3)} | ${r.serverCores.toFixed(2)} | ${Math.round(r.perCore)} |`,
  );
  const table = [header, ...lines].join("\n");
  const note = `${QUICK ? "quick" : "full"} run: ${COUNT} Pings per run, window ${WINDOW}, median of ${REPEAT}; zpb dealer client in its own namespace`;
  console.log(`\n${note}\n\n${table}\n`);
  const dir = join(packageDir("@zpb/client"), "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const stamp = `hosts-${new Date().toISOString().replace(/[:.]/g, "-")}${QUICK ? "-quick" : ""}`;
  writeFileSync(
    join(dir, `${stamp}.json`),
    `${JSON.stringify({ quick: QUICK, count: COUNT, window: WINDOW, repeat: REPEAT, rows }, null, 2)}\n`,
  );
  writeFileSync(join(dir, `${stamp}.md`), `${note}\n\n${table}\n`);
}
