// The zpb command line (packages/client) end to end against the real zpb server process (packages/server,
// 2 workers), and zpb publish/subscribe against Python's pyzmq peers (the PUB/SUB of the Rust prost + zmq example, on
// the same wire).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PythonPeers, generatePythonCode, requirePrerequisites } from "../interop/python-peer.js";
import { Child, freePort, missingBuilds, ServerProcess, ZPB_CLI, zpb } from "./support.js";

function requireBuilds(): void {
  const missing = missingBuilds();
  if (missing !== undefined) throw new Error(missing);
}

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

afterEach(() => Child.killAll());

describe("zpb against the real server (2 workers)", { timeout: 40_000 }, () => {
  let server: ServerProcess;

  beforeAll(async () => {
    requireBuilds();
    server = await ServerProcess.start();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  }, 25_000);

  it("zpb ping prints each Pong, the latency summary and 0 lost", async () => {
    const run = await zpb(["ping", "--endpoint", server.endpoint, "--count", "5"]);
    expect(run.code, run.stderr + server.log).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.slice(0, 5).map((l) => l.replace(/ time=[\d.]+ ms$/, ""))).toEqual(
      [1, 2, 3, 4, 5].map((n) => `pong{seq: ${n}}`),
    );
    expect(run.stdout).toContain("5 sent, 5 received, 0 lost, 0 retried");
    expect(run.stdout).toMatch(/latency min\/p50\/p99\/max = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
  });

  it("zpb ping --json gives scripts the Pongs and an ok summary", async () => {
    const run = await zpb(["ping", "-e", server.endpoint, "-c", "3", "--json"]);
    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout);
    expect(records.map((r) => r.type)).toEqual(["pong", "pong", "pong", "summary"]);
    expect(records.at(-1)).toMatchObject({ sent: 3, received: 3, lost: 0, ok: true });
  });

  it("zpb echo prints the echo tutorial's -> / <- lines through the server's raw echo service", async () => {
    const run = await zpb(["echo", "Hello world!", "--endpoint", server.echoEndpoint]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("-> Hello world!\n<- Hello world!\n");
  });

  it("zpb dealer pipelines Pings over both workers with nothing lost or unmatched", async () => {
    const run = await zpb(["dealer", "-e", server.endpoint, "--count", "20000", "--window", "100", "--json"]);
    expect(run.code, run.stderr + server.log).toBe(0);
    const [summary] = jsonLines(run.stdout);
    expect(summary).toMatchObject({ type: "summary", sent: 20000, received: 20000, lost: 0, unmatched: 0, ok: true });
  });

  it("zpb dealer text output shows throughput and the lost count", async () => {
    const run = await zpb(["dealer", "-e", server.endpoint, "--count", "2000", "--window", "10"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^2000 sent, 2000 received, 0 lost, 0 error replies, 0 unmatched in [\d.]+ s: \d+ msgs\/s \(window 10, batch 1\)$/m,
    );
  });

  it("zpb dealer --batch 50 against the real server: every request answered, in batches", async () => {
    const run = await zpb(["dealer", "-e", server.endpoint, "-c", "20000", "-w", "500", "--batch", "50", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const [summary] = jsonLines(run.stdout);
    expect(summary).toMatchObject({ type: "summary", sent: 20000, received: 20000, lost: 0, batch: 50, ok: true });
  });

  // Last: stop the server, then every request command must fail with exit 1 after its timeout, not hang.
  it("after the server stops, ping, echo and dealer exit 1 with a clear message", async () => {
    const ended = await server.stop();
    expect(ended.code, server.log).toBe(0);
    const [ping, echo, dealer] = await Promise.all([
      zpb(["ping", "-e", server.endpoint, "--timeout", "300", "--retries", "1"]),
      zpb(["echo", "x", "-e", server.echoEndpoint, "--timeout", "300", "--retries", "0"]),
      zpb(["dealer", "-e", server.endpoint, "-c", "1000", "--timeout", "300"]),
    ]);
    expect(ping.code).toBe(1);
    expect(ping.stderr).toContain(
      `no reply from ${server.endpoint} after 2 attempts of 300 ms: server unreachable or silent`,
    );
    expect(echo.code).toBe(1);
    expect(echo.stderr).toContain("server unreachable or silent");
    expect(dealer.code).toBe(1);
    expect(dealer.stderr).toContain(`no reply from ${server.endpoint} within 300 ms: server unreachable or silent`);
    for (const run of [ping, echo, dealer]) expect(run.ms).toBeLessThan(10_000); // a hang bound, not a speed target
  }, 30_000);
});

describe("zpb publish / subscribe with each other and with Python peers", { timeout: 40_000 }, () => {
  let generated: ReturnType<typeof generatePythonCode> | undefined;
  let peers: PythonPeers;

  beforeAll(() => {
    requireBuilds();
    requirePrerequisites();
    generated = generatePythonCode();
    peers = new PythonPeers(generated.dir);
  });
  afterEach(() => peers?.killAll());
  afterAll(() => generated?.remove());

  it("zpb publish → zpb subscribe: every message printed in order, no gaps", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const subscriber = new Child([ZPB_CLI, "subscribe", "-e", endpoint, "--count", "1000", "--quiet", "--json"], {
      boundMs: 20_000,
    });
    await subscriber.waitFor("subscribed to");
    const publish = await zpb(["publish", "-e", endpoint, "--count", "1000", "--wait-subscribers", "1"]);
    expect(publish.code, publish.stderr).toBe(0);
    const sub = await subscriber.done;
    expect(sub.code, sub.stderr).toBe(0);
    expect(jsonLines(sub.stdout).at(-1)).toMatchObject({
      type: "summary",
      received: 1000,
      gaps: 0,
      lost: 0,
      undecodable: 0,
    });
  });

  it("a Python PUB (as the Rust prost + zmq example publishes) → zpb subscribe, skipping the noise topic", async () => {
    const pub = peers.start([
      "pub",
      "--bind",
      "tcp://127.0.0.1:*",
      "--count",
      "200",
      "--wait-subscribers",
      "1",
      "--noise-topic",
      "NOISE",
      "--timeout",
      "15",
    ]);
    const endpoint = await pub.ready();
    const run = await zpb(["subscribe", "-e", endpoint, "--count", "200", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const records = jsonLines(run.stdout);
    const messages = records.filter((r) => r.type === "message");
    expect(messages).toHaveLength(200);
    expect(messages.every((m) => m.topic === "PING" && m.case === "ping")).toBe(true);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => String(i + 1)));
    expect(records.at(-1)).toMatchObject({ received: 200, lost: 0 });
    expect((await pub.result()).code).toBe(0);
  });

  it("zpb publish → a Python SUB (as the Rust prost + zmq example subscribes) decodes every Ping", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const publish = new Child(
      [ZPB_CLI, "publish", "-e", endpoint, "--count", "200", "--wait-subscribers", "1", "--timeout", "15000"],
      { boundMs: 20_000 },
    );
    await publish.waitFor("publishing on");
    const sub = peers.start(["sub", "--connect", endpoint, "--count", "200", "--timeout", "15"]);
    const result = await sub.result();
    expect(result.code, result.stderr).toBe(0);
    expect(result.summary).toMatchObject({ ok: true, received: 200 });
    expect((await publish.done).code).toBe(0);
  });
});
