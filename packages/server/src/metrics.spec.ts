// The metrics endpoint of a real server: what Prometheus scrapes at /metrics after known traffic, and what
// /healthz says while the server starts, serves and drains.
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { freePort } from "@zpb/test-support";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { envelopeCodec, ping, type Envelope } from "@zpb/proto";
import { DURATION_SAMPLE_EVERY } from "./durations.js";
import { startServer, type RunningServer } from "./server.js";
import { exitedWithin, logged, spawnServer } from "./test-support/cli-process.js";

const METERED = fileURLToPath(new URL("./test-support/fixtures/metered.mjs", import.meta.url));
const SLOW_START = fileURLToPath(new URL("./test-support/fixtures/slow-start.mjs", import.meta.url));

const running: RunningServer[] = [];
killChildrenAfterEach();
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

async function serve(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const server = await startServer({ bind: ["tcp://127.0.0.1:*"], echo: false, workers: 2, ...options });
  running.push(server);
  return server;
}

/** One REQ round trip of raw bytes; the reply frame. */
async function request(endpoint: string, bytes: Uint8Array): Promise<Buffer> {
  const req = new zmq.Request({ linger: 0, receiveTimeout: 10_000 });
  try {
    req.connect(endpoint);
    await req.send(bytes);
    const [reply] = await req.receive();
    return reply!;
  } finally {
    req.close();
  }
}

const ask = async (endpoint: string, seq: bigint): Promise<Envelope> =>
  envelopeCodec.decode(await request(endpoint, envelopeCodec.encode(ping(seq))));

/** Scrapes every 50 ms until `sample` reads `value` or `timeoutMs` pass; returns the last samples. */
async function scrapeUntil(
  base: string,
  sample: string,
  value: number,
  timeoutMs: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  let samples = (await scrape(base)).samples;
  while (samples.get(sample) !== value && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    samples = (await scrape(base)).samples;
  }
  return samples;
}

/** Every sample of a Prometheus text exposition, by `name{labels}` as written. */
async function scrape(base: string): Promise<{ samples: Map<string, number>; text: string; type: string | null }> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return { samples, text, type: response.headers.get("content-type") };
}

describe("--metrics: Prometheus text from a real server", () => {
  it("is off unless asked for", async () => {
    const server = await serve({ workers: 1 });
    expect(server.metrics).toBeUndefined();
    expect(server.settings.metrics).toBe(false);
  });

  it("counts requests, replies, errors by kind, refusals by limit, workers and durations", async () => {
    const server = await serve({ handler: METERED, maxPayload: 64, metrics: "127.0.0.1:0" });
    expect(server.metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const endpoint = server.endpoints.main[0]!;

    // Durations are sampled per worker, the first call of each included: make the slow one the first of both.
    expect((await ask(endpoint, 97n)).payload.case).toBe("pong"); // slow: ~40 ms
    expect((await ask(endpoint, 97n)).payload.case).toBe("pong");
    for (let seq = 1n; seq <= 19n; seq++) expect((await ask(endpoint, seq)).payload.case).toBe("pong");
    expect((await ask(endpoint, 99n)).payload.case).toBe("error"); // handler throws
    await request(endpoint, Uint8Array.of(0x0a, 0x05, 0x08)); // truncated: CODE_DECODE
    await request(
      endpoint,
      envelopeCodec.encode({ payload: { case: "error", value: { code: 1, message: "x".repeat(100), seq: 1n } } }),
    ); // > maxPayload

    const { samples, text, type } = await scrape(server.metrics!);
    expect(type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(samples.get("zpb_requests_total")).toBe(24);
    expect(samples.get("zpb_replies_total")).toBe(24);
    expect(samples.get('zpb_errors_total{kind="handler"}')).toBe(1);
    expect(samples.get('zpb_errors_total{kind="decode"}')).toBe(1);
    expect(samples.get('zpb_errors_total{kind="bad_frames"}')).toBe(0);
    expect(samples.get('zpb_refusals_total{limit="max_payload"}')).toBe(1);
    expect(samples.get('zpb_refusals_total{limit="draining"}')).toBe(0);
    expect(samples.get("zpb_in_flight_requests")).toBe(0);
    expect(samples.get("zpb_workers")).toBe(2);
    expect(samples.get("zpb_workers_serving")).toBe(2);
    const perWorker = [0, 1].map((w) => samples.get(`zpb_worker_requests_total{worker="${w}"}`)!);
    expect(perWorker[0]! + perWorker[1]!).toBe(24);
    const shares = [0, 1].map((w) => samples.get(`zpb_worker_share{worker="${w}"}`)!);
    expect(shares[0]! + shares[1]!).toBeCloseTo(1, 9);

    // The handler ran for the 22 decodable requests within the payload limit, two of them ~40 ms. One call in
    // DURATION_SAMPLE_EVERY is timed per worker and counts for that many: the count estimates 22 within one
    // sample per worker, and the slow calls (each the first of its worker, so timed) sit above 25 ms.
    expect(text).toContain("# TYPE zpb_handler_duration_seconds histogram");
    const count = samples.get("zpb_handler_duration_seconds_count")!;
    expect(count % DURATION_SAMPLE_EVERY).toBe(0);
    expect(Math.abs(count - 22)).toBeLessThanOrEqual(2 * DURATION_SAMPLE_EVERY);
    expect(samples.get('zpb_handler_duration_seconds_bucket{le="+Inf"}')).toBe(count);
    // Only a lower bound: on a loaded machine a ~40 ms sleep may land above 50 ms, never below 25 ms.
    const slow = count - samples.get('zpb_handler_duration_seconds_bucket{le="0.025"}')!;
    expect(slow).toBe(2 * DURATION_SAMPLE_EVERY);
    expect(samples.get("zpb_handler_duration_seconds_sum")).toBeGreaterThanOrEqual(2 * DURATION_SAMPLE_EVERY * 0.035);

    // prom-client's process metrics come along.
    expect(samples.get("process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(samples.get("nodejs_heap_size_total_bytes")).toBeGreaterThan(0);
  });

  it("exports the main thread's counters: worker ends, connections, reply drops", async () => {
    // --forwarder js counts reply drops; a slow handler lets the client leave before its reply comes.
    const server = await serve({ handler: METERED, forwarder: "js", metrics: "127.0.0.1:0" });
    const client = new zmq.Dealer({ linger: 0 });
    client.connect(server.endpoints.main[0]!);
    await client.send(envelopeCodec.encode(ping(97n))); // answered after ~40 ms
    const deadline = Date.now() + 10_000;
    while (server.stats().total.requests < 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 2));
    client.close(); // while its handler runs
    const samples = await scrapeUntil(server.metrics!, 'zpb_reply_drops_total{reason="client_gone"}', 1, 10_000);
    expect(samples.get('zpb_reply_drops_total{reason="client_gone"}')).toBe(1);
    expect(samples.get('zpb_reply_drops_total{reason="slow_consumer"}')).toBe(0);
    expect(samples.get('zpb_worker_ends_total{reason="stall"}')).toBe(0);
    expect(samples.get('zpb_worker_ends_total{reason="heap_limit"}')).toBe(0);
    // startServer() in a library runs no socket monitor (README "Operating it"): present, and 0.
    expect(samples.get('zpb_connections_total{event="accepted"}')).toBe(0);
  });

  it("counts a worker death and its replacement", async () => {
    const server = await serve({ handler: METERED, metrics: "127.0.0.1:0" });
    const endpoint = server.endpoints.main[0]!;
    expect((await ask(endpoint, 98n)).payload.case).toBe("pong"); // its worker dies just after replying
    const samples = await scrapeUntil(server.metrics!, "zpb_worker_replacements_total", 1, 15_000);
    expect(samples.get("zpb_worker_deaths_total")).toBe(1);
    expect(samples.get("zpb_worker_replacements_total")).toBe(1);
    expect(samples.get("zpb_workers_serving")).toBe(2);
  });
});

describe("/healthz", () => {
  it("503 while starting, 200 while every worker serves, 503 while draining, gone once stopped", async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const starting = serve({ handler: SLOW_START, metrics: `127.0.0.1:${port}`, workers: 1 });
    const seen: Array<{ status: number; body: { status: string } }> = [];
    let started = false;
    void starting.then(() => (started = true));
    while (!started) {
      try {
        const response = await fetch(`${base}/healthz`);
        seen.push({ status: response.status, body: (await response.json()) as { status: string } });
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const server = await starting;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual({ status: 503, body: { status: "starting", serving: 0, workers: 1 } });

    const serving = await fetch(`${base}/healthz`);
    expect(serving.status).toBe(200);
    expect(await serving.json()).toEqual({ status: "ok", serving: 1, workers: 1 });

    const stopping = server.stop();
    const draining = await fetch(`${base}/healthz`);
    expect(draining.status).toBe(503);
    expect(((await draining.json()) as { status: string }).status).toBe("draining");
    await stopping;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it("answers 404 elsewhere and 405 to anything but GET/HEAD", async () => {
    const server = await serve({ workers: 1, metrics: "127.0.0.1:0" });
    expect((await fetch(`${server.metrics}/`)).status).toBe(404);
    expect((await fetch(`${server.metrics}/metrics`, { method: "POST" })).status).toBe(405);
  });
});

describe("zpb-server --metrics", () => {
  it("ZPB_METRICS turns it on, the log names the URL, and the process still exits 0 on SIGTERM", async () => {
    const server = await spawnServer(["--workers", "1"], { ZPB_METRICS: "127.0.0.1:0" });
    expect(await logged(server, "metrics on http://127.0.0.1:")).toBe(true);
    const line = server.stdout.find((l) => l.includes('"metrics"'))!;
    const base = (JSON.parse(line) as { metrics: string }).metrics;
    const { samples } = await scrape(base);
    expect(samples.get("zpb_workers")).toBe(1);
    server.child.kill("SIGTERM");
    expect(await exitedWithin(server, 15_000)).toEqual({ code: 0, signal: null });
  });

  it("refuses a malformed address before starting, naming the form", async () => {
    await expect(serve({ metrics: "localhost" })).rejects.toThrow(/expected HOST:PORT, e\.g\. 127\.0\.0\.1:9464/);
  });
});
