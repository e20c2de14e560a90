import { afterEach, describe, expect, it } from "vitest";
import { ping } from "@zpb/proto";
import { TopicPublisher } from "../publisher.js";
import {
  BatchRouter,
  echoServer,
  pongServer,
  silentServer,
  ANY_PORT,
  type TestServer,
} from "../test-support/servers.js";
import { freePort, waitUntil } from "@zpb/test-support";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { jsonLines, start, ZPB, zpb } from "../test-support/run.js";

killChildrenAfterEach();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(starting: Promise<TestServer>): Promise<TestServer> {
  const s = await starting;
  cleanups.push(() => s.close());
  return s;
}

describe("zpb --help", () => {
  it.each([
    ["ping", "tcp://127.0.0.1:5555"],
    ["echo", "tcp://127.0.0.1:25933"],
    ["publish", "tcp://127.0.0.1:6000"],
    ["subscribe", "tcp://127.0.0.1:6000"],
    ["dealer", "tcp://127.0.0.1:7000"],
  ])("%s --help shows its flags and the server's default endpoint", async (command, endpoint) => {
    const run = await zpb([command, "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: zpb ${command}`);
    expect(run.stdout).toContain(endpoint);
    expect(run.stdout).toContain("--json");
  });

  it("lists every command", async () => {
    const run = await zpb(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["ping", "echo", "publish", "subscribe", "dealer"]) expect(run.stdout).toContain(command);
  });

  it("rejects a bad flag value with exit code 1 and a usage hint", async () => {
    const run = await zpb(["ping", "--count", "many"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("must be");
  });
});

describe("zpb ping", () => {
  it("prints each Pong, a latency summary and the lost count", async () => {
    const s = await server(pongServer());
    const run = await zpb(["ping", "--endpoint", s.endpoint, "--count", "3"]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines.slice(0, 3).map((l) => l.replace(/time=[\d.]+ ms/, "time=T ms"))).toEqual([
      "pong{seq: 1} time=T ms",
      "pong{seq: 2} time=T ms",
      "pong{seq: 3} time=T ms",
    ]);
    expect(run.stdout).toContain("3 sent, 3 received, 0 lost, 0 retried");
    expect(run.stdout).toMatch(/latency min\/p50\/p99\/max = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
    expect(s.received).toBe(3);
  });

  it("retries a dropped Ping on a new socket (Lazy Pirate) and still succeeds", async () => {
    const s = await server(pongServer({ dropFirst: 1 }));
    const run = await zpb(["ping", "-e", s.endpoint, "-c", "2", "--timeout", "200", "--retries", "1"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain("retrying on a new socket (attempt 2 of 2)");
    expect(run.stdout).toContain("2 sent, 2 received, 0 lost, 1 retried");
  });

  it("--json prints one record per Pong and a summary", async () => {
    const s = await server(pongServer());
    const run = await zpb(["ping", "-e", s.endpoint, "-c", "2", "--json"]);
    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout);
    expect(records.map((r) => r.type)).toEqual(["pong", "pong", "summary"]);
    expect(records[0]).toMatchObject({ seq: "1", reply: "pong{seq: 1}" });
    expect(records[2]).toMatchObject({ sent: 2, received: 2, lost: 0, ok: true });
    expect((records[2]!.latency as { p50Ms: number }).p50Ms).toBeGreaterThan(0);
  });

  it("exits 1 with a clear message after the timeouts when the server is silent", async () => {
    const s = await server(silentServer());
    const run = await zpb(["ping", "-e", s.endpoint, "--timeout", "200", "--retries", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `zpb: no reply from ${s.endpoint} after 2 attempts of 200 ms: server unreachable or silent`,
    );
    expect(run.stdout).toContain("1 sent, 0 received, 1 lost, 1 retried");
    expect(s.received).toBe(2);
  });

  it("exits 1 when nothing listens on the endpoint", async () => {
    const port = await freePort();
    const run = await zpb(["ping", "-e", `tcp://127.0.0.1:${port}`, "--timeout", "200", "--retries", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("server unreachable or silent");
  });
});

describe("zpb echo", () => {
  it("prints what the echo tutorial's client prints", async () => {
    const s = await server(echoServer());
    const run = await zpb(["echo", "Hello world!", "--endpoint", s.endpoint]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("-> Hello world!\n<- Hello world!\n");
    expect(run.stderr).toContain(`ZeroMQ client connecting to ${s.endpoint}`);
  });

  it("sends any UTF-8 text and supports --json", async () => {
    const s = await server(echoServer());
    const run = await zpb(["echo", "ünïcødé ✓", "-e", s.endpoint, "--json"]);
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout)).toEqual([
      expect.objectContaining({ type: "echo", sent: "ünïcødé ✓", received: "ünïcødé ✓", ok: true }),
    ]);
  });

  it("exits 1 after the timeout when the server is silent", async () => {
    const s = await server(silentServer());
    const run = await zpb(["echo", "x", "-e", s.endpoint, "--timeout", "200", "--retries", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("after 1 attempt of 200 ms: server unreachable or silent");
  });
});

describe("zpb dealer", () => {
  it("pipelines Pings and prints throughput, latency and the lost count", async () => {
    const s = await server(pongServer());
    const run = await zpb(["dealer", "-e", s.endpoint, "--count", "3000", "--window", "50"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^3000 sent, 3000 received, 0 lost, 0 error replies, 0 unmatched in [\d.]+ s: \d+ msgs\/s \(window 50, batch 1\)$/m,
    );
    expect(run.stdout).toMatch(/latency min\/p50\/p99\/max = /);
    expect(s.received).toBe(3000);
  });

  it("--json gives a machine-readable summary", async () => {
    const s = await server(pongServer());
    const run = await zpb(["dealer", "-e", s.endpoint, "-c", "500", "-w", "10", "--json"]);
    expect(run.code).toBe(0);
    const [summary] = jsonLines(run.stdout);
    expect(summary).toMatchObject({ type: "summary", sent: 500, received: 500, lost: 0, window: 10, ok: true });
    expect(summary!.perSecond).toBeGreaterThan(0);
  });

  it("repeated -e spreads Pings over several servers; --retries resends a silent one's elsewhere", async () => {
    const [a, b, silent] = [await server(pongServer()), await server(pongServer()), await server(silentServer())];
    const args = ["dealer", "-e", a.endpoint, "-e", b.endpoint, "-e", silent.endpoint, "-c", "600", "-w", "20"];
    const run = await zpb([...args, "--timeout", "500", "--retries", "2", "--json"]);
    expect(run.code).toBe(0);
    const [summary] = jsonLines(run.stdout);
    expect(summary).toMatchObject({ sent: 600, received: 600, lost: 0, ok: true });
    expect(summary!.endpoint).toBe([a.endpoint, b.endpoint, silent.endpoint].join(", "));
    expect(run.stderr).not.toContain("Warning"); // zeromq.js's connect-routing-id warning is not for users
    expect(a.received).toBeGreaterThan(100);
    expect(b.received).toBeGreaterThan(100);
    expect(silent.received).toBeGreaterThan(0);
  });

  it("exits 1 within about one timeout when the server never answers", async () => {
    const s = await server(silentServer());
    const run = await zpb(["dealer", "-e", s.endpoint, "-c", "10000", "-w", "20", "--timeout", "300"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`zpb: no reply from ${s.endpoint} within 300 ms: server unreachable or silent`);
    expect(run.stdout).toContain("20 sent, 0 received, 20 lost");
    expect(run.ms).toBeLessThan(8000); // a hang bound, not a speed target: 10000 × 300 ms would be 50 min
  });

  it("exits 1 when a server that was answering goes silent (a window of timeouts in a row)", async () => {
    const s = await server(pongServer({ answerFirst: 40 }));
    const run = await zpb(["dealer", "-e", s.endpoint, "-c", "100000", "-w", "10", "--timeout", "300", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`zpb: ${s.endpoint} stopped answering (10 requests in a row timed out)`);
    const [summary] = jsonLines(run.stdout) as Array<{ received: number; lost: number; sent: number; ok: boolean }>;
    // 40 answered; the 10 that timed out, plus those their callers sent meanwhile, are lost.
    expect(summary).toMatchObject({ received: 40, ok: false });
    expect(summary!.lost).toBeGreaterThanOrEqual(10);
    expect(summary!.lost).toBeLessThan(20);
    expect(summary!.sent).toBe(summary!.received + summary!.lost);
  });

  it("counts ErrorReplies apart from losses and exits 1", async () => {
    const s = await server(pongServer({ failSeqs: [5n, 6n] }));
    const run = await zpb(["dealer", "-e", s.endpoint, "-c", "100", "-w", "10"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("100 sent, 98 received, 0 lost, 2 error replies, 0 unmatched");
    expect(run.stderr).toContain("zpb: 2 request(s) answered with an ErrorReply");
  });

  it("Ctrl-C (SIGINT) stops a run against a silent server at once, with a summary and exit 0", async () => {
    const s = await server(silentServer());
    const dealer = start(ZPB, ["dealer", "-e", s.endpoint, "-c", "1000", "--timeout", "60000"]);
    // a request at the server proves the CLI is running its command (its SIGINT handler is installed first): a
    // fixed sleep lost that race on a loaded machine, and the signal then killed a process still starting up
    await waitUntil(() => s.received > 0, "the dealer's first request", 10_000);
    const interruptedAt = performance.now();
    dealer.kill("SIGINT");
    const run = await dealer.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("0 sent, 0 received, 0 lost");
    // at once: seconds at most on a loaded machine, against a 60 s timeout it must not wait out
    expect(performance.now() - interruptedAt).toBeLessThan(3000);
  });
});

describe("zpb dealer --batch", () => {
  it("packs requests into batches of at most n against a batch-speaking server, with nothing lost", async () => {
    const router = await new BatchRouter(true).start();
    cleanups.push(() => router.close());
    const run = await zpb(["dealer", "-e", router.endpoint, "-c", "3000", "-w", "200", "--batch", "16", "--json"]);
    expect(run.code).toBe(0);
    const [summary] = jsonLines(run.stdout);
    expect(summary).toMatchObject({ sent: 3000, received: 3000, lost: 0, batch: 16, ok: true });
    const sizes = router.units.map((u) => u.messages.length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(Math.max(...sizes)).toBe(16);
    // Sent through requestMany(): every batch is full but the last.
    expect(sizes.slice(0, -1).every((size) => size === 16)).toBe(true);
    expect(router.units.every((u) => u.batch)).toBe(true);
  });

  it("--batch 1 (the default) sends one frame per request", async () => {
    const router = await new BatchRouter(true).start();
    cleanups.push(() => router.close());
    const run = await zpb(["dealer", "-e", router.endpoint, "-c", "300", "-w", "50"]);
    expect(run.code).toBe(0);
    expect(router.units.every((u) => !u.batch && u.messages.length === 1)).toBe(true);
  });
});

describe("zpb publish / subscribe", () => {
  it("publish --batch 10 → subscribe: every message, in order, no gaps", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const subscriber = start(ZPB, ["subscribe", "-e", endpoint, "-q", "--count", "995", "--json"]);
    await subscriber.waitFor("subscribed to");
    const publish = await zpb(["publish", "-e", endpoint, "-c", "995", "--batch", "10", "--wait-subscribers", "1"]);
    expect(publish.code).toBe(0);
    expect(publish.stdout).toMatch(/^published 995 messages on "PING" in [\d.]+ s \(\d+ msgs\/s, batch 10\)$/m);
    const sub = await subscriber.done;
    expect(sub.code).toBe(0);
    expect(jsonLines(sub.stdout).at(-1)).toMatchObject({ type: "summary", received: 995, gaps: 0, lost: 0 });
  });

  it("the PUB/SUB pair of the Rust prost + zmq example: subscribe prints each message, msgs/s and no gaps", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const subscriber = start(ZPB, ["subscribe", "-e", endpoint, "--count", "50", "--timeout", "5000"]);
    await subscriber.waitFor("subscribed to");
    const publish = await zpb([
      "publish",
      "-e",
      endpoint,
      "--count",
      "50",
      "--rate",
      "2000",
      "--wait-subscribers",
      "1",
    ]);
    expect(publish.code).toBe(0);
    expect(publish.stdout).toMatch(/^published 50 messages on "PING" in [\d.]+ s \(\d+ msgs\/s, batch 1\)$/m);
    const sub = await subscriber.done;
    expect(sub.code).toBe(0);
    const lines = sub.stdout.trim().split("\n");
    expect(lines.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `PING ping{seq: ${i + 1}}`));
    expect(lines[50]).toMatch(
      /^received 50 messages in [\d.]+ s \(\d+ msgs\/s\); gaps 0, lost 0, out of order 0, undecodable 0$/,
    );
  });

  it("subscribe reports gaps in seq as lost messages", async () => {
    const publisher = await TopicPublisher.bind({ endpoint: ANY_PORT });
    cleanups.push(() => publisher.close());
    const subscriber = start(ZPB, ["subscribe", "-e", publisher.endpoint, "--topic", "PING", "--count", "5", "--json"]);
    await publisher.waitForSubscribers(1, { topic: "PING", timeoutMs: 5000 });
    await publisher.publish("OTHER", ping(100)); // filtered out by topic
    for (const seq of [1, 2, 3, 7, 8]) await publisher.publish("PING", ping(seq));
    const run = await subscriber.done;
    expect(run.code).toBe(0);
    const records = jsonLines(run.stdout);
    expect(records.filter((r) => r.type === "message").map((r) => [r.seq, r.missed])).toEqual([
      ["1", 0],
      ["2", 0],
      ["3", 0],
      ["7", 3],
      ["8", 0],
    ]);
    expect(records.at(-1)).toMatchObject({ type: "summary", received: 5, gaps: 1, lost: 3 });
  });

  it("publish --wait-subscribers exits 1 when nobody subscribes in time", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const run = await zpb(["publish", "-e", endpoint, "--count", "5", "--wait-subscribers", "1", "--timeout", "300"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`zpb: fewer than 1 subscriber(s) to "PING" on ${endpoint} within 300 ms`);
  });

  it("subscribe exits 1 after --timeout of silence", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const run = await zpb(["subscribe", "-e", endpoint, "--count", "3", "--timeout", "300"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`zpb: no message from ${endpoint} within 300 ms`);
  });

  it("Ctrl-C (SIGINT) stops a waiting subscriber with a summary and exit 0", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const subscriber = start(ZPB, ["subscribe", "-e", endpoint, "--timeout", "0"]);
    await subscriber.waitFor("subscribed to");
    subscriber.kill("SIGINT");
    const run = await subscriber.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("received 0 messages");
  });

  it("Ctrl-C (SIGINT) stops an endless publish cleanly with a summary", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const publisher = start(ZPB, ["publish", "-e", endpoint, "--rate", "500"]);
    await publisher.waitFor("publishing on");
    await new Promise((resolve) => setTimeout(resolve, 300));
    publisher.kill("SIGINT");
    const run = await publisher.done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^published \d+ messages on "PING"/m);
  });
});
