// The suite end to end, as a user runs it: a reduced quick run writes its JSON, report and charts,
// and leaves no process behind — also when it is interrupted with Ctrl-C.
import { describe, expect, it, beforeAll } from "vitest";
import { Child, within } from "@zpb/test-support";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchResult } from "./result.js";
import { PACKAGE_DIR, findServerCli } from "./servers.js";
import { buildNative } from "./native.js";

const CLI = join(PACKAGE_DIR, "dist", "cli.js");

/** The reduced quick run: every scenario, small counts, a window above the default HWM. */
const REDUCED = [
  "--quick",
  "--no-progress",
  "--windows",
  "100,1500",
  "--count",
  "3000",
  "--duration",
  "800",
  "--latency-count",
  "300",
  "--heavy-count",
  "300",
  "--pubsub-count",
  "5000",
  "--pubsub-hwms",
  "default,0",
  "--batch-sizes",
  "1,10",
  "--no-batch-pin",
];

/** Starts `zpb-bench <args>`; the process is bounded (killed by PID) and ends with its test at the latest. */
function runCli(args: string[], boundMs = 110_000): Child {
  return new Child([CLI, ...args], { boundMs });
}

function pidsIn(log: string): Array<{ pid: number; role: string }> {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [pid, role] = line.split(" ");
      return { pid: Number(pid), role: role! };
    });
}

/** Started processes (or members of their process groups) still alive. */
function survivors(log: string): string[] {
  return pidsIn(log).flatMap(({ pid, role }) => {
    for (const target of [pid, -pid]) {
      try {
        process.kill(target, 0);
        return [`${role} (${target})`];
      } catch {
        // gone, as it should be
      }
    }
    return [];
  });
}

killChildrenAfterEach();

// A missing build (the bench, our server's CLI, the native C programs) fails these tests; it never skips them.
const nativeBuild = buildNative("load");
beforeAll(() => {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build first (pnpm --filter @zpb/bench build, or turbo run test)`);
  if (findServerCli() === undefined)
    throw new Error("@zpb/server is not built: run `npx -y pnpm@10 turbo run build --filter=@zpb/bench...`");
});

describe("zpb-bench end to end", () => {
  it("runs every scenario, writes a valid JSON file, the report and the charts, and leaves no process", async () => {
    const out = mkdtempSync(join(tmpdir(), "zpb-bench-"));
    const pidLog = join(out, "pids.log");
    const { code, stdout, stderr } = await runCli([...REDUCED, "--out", out, "--pid-log", pidLog]).done;
    expect(stderr).toBe("");
    expect(code, stdout).toBe(0);

    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith("-quick.json"));
    expect(json).toBeDefined();
    const r = JSON.parse(readFileSync(join(out, json!), "utf8")) as BenchResult;

    expect(r.schema).toBe("zpb-bench/1");
    expect(r.machine.cpuModel.length).toBeGreaterThan(0);
    expect(r.machine.libs.zeromq).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.machine.libs["@grpc/grpc-js"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.calibration.heavyMicros).toBeGreaterThan(10);
    expect(r.errors).toEqual([]);

    const expectOk = (server: string, error: string | undefined): void => {
      expect(error, `${server}: ${error}`).toBeUndefined();
    };

    // 1. latency: a real histogram per server
    expect(r.latency.map((l) => l.server).sort()).toEqual(["grpc", "plain-rep", "zpb"]);
    for (const l of r.latency) {
      expectOk(l.server, l.error);
      if (l.error) continue;
      expect(l.latency!.count).toBe(300);
      expect(l.latency!.minUs).toBeLessThanOrEqual(l.latency!.p50Us);
      expect(l.latency!.p50Us).toBeLessThanOrEqual(l.latency!.p99Us);
      expect(l.latency!.p99Us).toBeLessThanOrEqual(l.latency!.maxUs);
      expect(l.lost).toBe(0);
    }

    // 2 and 3. throughput: every server × window, each request accounted for
    const pingpong = r.throughput.filter((t) => t.scenario === "pingpong");
    const servers = new Set(pingpong.map((t) => `${t.server}×${t.workers}`));
    expect(servers).toContain("plain-router×1");
    expect(servers).toContain("grpc×1");
    expect([...servers].some((s) => s.startsWith("piscina×"))).toBe(true);
    expect(new Set(pingpong.map((t) => t.window))).toEqual(new Set([100, 1500]));
    for (const t of r.throughput) {
      expectOk(t.server, t.error);
      if (t.error) continue;
      expect(t.sent).toBeGreaterThan(0);
      expect(t.received + t.lost).toBe(t.sent);
      expect(t.msgsPerSec).toBeGreaterThan(0);
      expect(t.clientCpuSeconds).toBeGreaterThan(0);
      if (t.server === "zpb") expect(t.lost + t.duplicates + t.unexpected).toBe(0);
    }
    expect(r.throughput.filter((t) => t.scenario === "cpu").length).toBeGreaterThanOrEqual(3);

    // 4. pub/sub: the unlimited HWM must deliver everything on loopback
    expect(r.pubsub.map((p) => p.hwm)).toEqual(["default", 0]);
    const unlimited = r.pubsub.find((p) => p.hwm === 0)!;
    expect(unlimited.error).toBeUndefined();
    expect(unlimited.received).toBe(5000);
    expect(unlimited.lost).toBe(0);

    // 5. codec: five figures
    expect(r.codec.map((c) => `${c.impl}/${c.op}`).sort()).toEqual([
      "protobufjs/decode",
      "protobufjs/encode",
      "zpb-freshWriter/encode",
      "zpb/decode",
      "zpb/encode",
    ]);
    for (const c of r.codec) expect(c.opsPerSec).toBeGreaterThan(1000);

    // 7. CURVE + allow-list vs plaintext: both rows of our server, every request answered, a real p50
    expect((r.curve ?? []).map((c) => c.security)).toEqual(["plaintext", "curve"]);
    for (const c of r.curve ?? []) {
      expectOk("zpb", c.error);
      if (c.error) continue;
      expect(c.sent).toBeGreaterThan(0);
      expect(c.received).toBe(c.sent);
      expect(c.lost).toBe(0);
      expect(c.latency!.p50Us).toBeGreaterThan(0);
    }
    expect(stdout).toContain("### 7. The cost of encryption");

    // 6. resources of every server of scenario 2
    for (const res of r.resources) {
      // a Node server holds tens of MiB; the C ROUTER a few
      expect(res.peakRssBytes, res.server).toBeGreaterThan((res.server === "native-router" ? 1 : 10) * 2 ** 20);
      expect(res.cpuSeconds).toBeGreaterThan(0);
      expect(res.exitCode).toBe(0);
    }
    const started = new Set(pingpong.filter((t) => t.error === undefined).map((t) => `${t.server}×${t.workers}`));
    expect(
      new Set(r.resources.filter((x) => x.scenario === "pingpong").map((x) => `${x.server}×${x.workers}`)),
    ).toEqual(started);

    // 7. batch: every size × window × client through our server, and the pub/sub pairs, nothing lost
    {
      const batch = r.batch ?? [];
      expect(new Set(batch.map((b) => b.batch))).toEqual(new Set([1, 10]));
      expect(batch.some((b) => b.window === 1 && b.p50Us !== undefined && b.p50Us > 0)).toBe(true);
      for (const b of batch) {
        expect(b.error, `batch ${b.batch} w${b.window} ${b.client}`).toBeUndefined();
        expect(b.lost).toBe(0);
        expect(b.received).toBeGreaterThan(0);
        expect(b.envelopesPerCoreSecond).toBeGreaterThan(0);
      }
    }
    const batchPubsub = r.batchPubsub ?? [];
    expect(batchPubsub.map((p) => `${p.batch} ${p.publisher}→${p.subscriber}`)).toEqual([
      "1 plain→plain",
      "1 plain→zpb",
      "1 zpb→zpb",
      "10 zpb→zpb",
    ]);
    for (const p of batchPubsub) {
      expect(p.error).toBeUndefined();
      expect(p.received).toBe(p.count);
    }

    expect(r.targets.map((t) => t.id)).toEqual([
      "pooled-vs-plain-router",
      "cpu-scaling-2-vs-1",
      "pooled-vs-grpc",
      "p50-vs-grpc",
      "zero-lost",
    ]);
    expect(stdout).toContain("### Targets");

    const stem = json!.replace(/\.json$/, "");
    for (const chart of ["throughput", "scaling", "latency", "batch"]) {
      expect(readFileSync(join(out, `${stem}-${chart}.svg`), "utf8")).toMatch(/^<svg/);
    }
    expect(readFileSync(join(out, `${stem}.md`), "utf8")).toContain("### 2. Pipelined Ping/Pong throughput");

    expect(pidsIn(pidLog).length).toBe(r.processes.length);
    expect(survivors(pidLog)).toEqual([]);
  }, 120_000);

  it("with --client native, drives every zeromq server with the native client and judges the targets on it", async () => {
    if (!nativeBuild.ok) throw new Error(`native/load.c did not build: ${nativeBuild.reason}`);
    const out = mkdtempSync(join(tmpdir(), "zpb-bench-native-"));
    const pidLog = join(out, "pids.log");
    const { code, stdout, stderr } = await runCli([
      "--quick",
      "--no-progress",
      "--only",
      "throughput,scaling",
      "--client",
      "native",
      "--windows",
      "100,1500",
      "--count",
      "3000",
      "--duration",
      "800",
      "--heavy-count",
      "300",
      "--out",
      out,
      "--pid-log",
      pidLog,
    ]).done;
    expect(stderr).toBe("");
    expect(code, stdout).toBe(0);
    const json = readdirSync(out).find((f) => f.endsWith("-quick.json"))!;
    const r = JSON.parse(readFileSync(join(out, json), "utf8")) as BenchResult;
    expect(r.loadClients.kinds).toEqual(["native"]);
    expect(r.loadClients.native.available).toBe(true);
    const zmqRuns = r.throughput.filter((t) => t.server !== "grpc");
    expect(zmqRuns.length).toBeGreaterThan(0);
    expect(new Set(zmqRuns.map((t) => t.client))).toEqual(new Set(["native"]));
    expect(r.throughput.filter((t) => t.server === "grpc").every((t) => t.client === "js")).toBe(true);
    expect(new Set(zmqRuns.map((t) => t.scenario))).toEqual(new Set(["pingpong", "cpu"]));
    for (const t of zmqRuns) {
      expect(t.error, `${t.server}: ${t.error}`).toBeUndefined();
      expect(t.received + t.lost).toBe(t.sent);
      expect(t.sent).toBeGreaterThan(0);
      expect(t.msgsPerSec).toBeGreaterThan(0);
      expect(t.clientCpuSeconds).toBeGreaterThan(0);
      if (t.server === "zpb") expect(t.lost + t.duplicates + t.unexpected).toBe(0);
    }
    if (r.nativeRouter.available) {
      expect(zmqRuns.some((t) => t.server === "native-router" && t.error === undefined)).toBe(true);
      expect(r.resources.find((x) => x.server === "native-router")?.exitCode).toBe(0);
    }
    expect(r.targets.find((t) => t.id === "pooled-vs-plain-router")!.description).toContain("native client");
    expect(stdout).toContain("native (C)");
    expect(survivors(pidLog)).toEqual([]);
  }, 120_000);

  it("on Ctrl-C (SIGINT) stops every process it started and exits 130", async () => {
    const out = mkdtempSync(join(tmpdir(), "zpb-bench-int-"));
    const pidLog = join(out, "pids.log");
    const child = runCli([
      "--quick",
      "--no-progress",
      "--only",
      "throughput",
      "--duration",
      "20000",
      "--count",
      "10000000",
      "--out",
      out,
      "--pid-log",
      pidLog,
    ]);
    // wait until a server and a load client are running, mid-measurement
    const deadline = Date.now() + 30_000;
    while (pidsIn(pidLog).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    expect(pidsIn(pidLog).length).toBeGreaterThanOrEqual(2);
    expect(survivors(pidLog).length).toBeGreaterThanOrEqual(1);
    child.kill("SIGINT");
    const { code } = await within(child.done, "the runner to exit after SIGINT", 15_000);
    expect(code).toBe(130);
    expect(survivors(pidLog)).toEqual([]);
    expect(readdirSync(out).filter((f) => f.endsWith(".json"))).toEqual([]); // an interrupted run writes no result
  }, 60_000);

  it("a scenario past its watchdog budget is stopped, recorded as an error, and the run goes on", async () => {
    const out = mkdtempSync(join(tmpdir(), "zpb-bench-wd-"));
    const pidLog = join(out, "pids.log");
    // a CPU-heavy run of ten million requests cannot finish in 6 s; the codec scenario after it can
    const runner = runCli(
      [
        "--quick",
        "--no-progress",
        "--only",
        "scaling,codec",
        "--workers",
        "1",
        "--heavy-count",
        "10000000",
        "--duration",
        "60000",
        "--scenario-budget",
        "6000",
        "--out",
        out,
        "--pid-log",
        pidLog,
      ],
      40_000,
    );
    const { code, stdout } = await runner.done;
    expect(code, stdout).toBe(2);
    const json = readdirSync(out).find((f) => f.endsWith(".json"))!;
    const r = JSON.parse(readFileSync(join(out, json), "utf8")) as BenchResult;
    expect(r.errors.map((e) => e.scenario)).toEqual(["scaling"]);
    expect(r.errors[0]!.message).toMatch(/watchdog/);
    expect(r.codec.length).toBe(5); // the next scenario still ran
    expect(survivors(pidLog)).toEqual([]);
  }, 60_000);
});
