// The metrics endpoint (`--metrics HOST:PORT`): Prometheus text at /metrics through prom-client, and /healthz.
// Nothing here runs on the request path: workers keep counting in shared memory (stats.ts, durations.ts) and
// every value below is read from there by prom-client's collect() callbacks when Prometheus scrapes.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { DURATION_BUCKETS, type DurationSnapshot } from "./durations.js";
import { formatHttpAddress, parseHttpAddress } from "./http-address.js";
import type { CounterName, RefusalCounters, ServerStats } from "./stats.js";

/** Where the server stands, as /healthz reports it. */
export type ServingState = "starting" | "serving" | "draining";

/** What the endpoint reads at scrape time. */
export interface MetricsSource {
  /** Worker threads the server runs when healthy. */
  readonly workers: number;
  stats(): ServerStats;
  /** Workers replaced after a death (and serving again). */
  replacements(): number;
  durations(): DurationSnapshot;
  state(): ServingState;
}

/** A running metrics endpoint. */
export interface MetricsEndpoint {
  /** `http://HOST:PORT`, with the port actually bound. */
  readonly url: string;
  /** Stops listening and drops open scrape connections. */
  close(): Promise<void>;
}

/**
 * How each worker counter is exported: a fault of the request or the server (`zpb_errors_total{kind}`), or a
 * request refused because a limit said no (`zpb_refusals_total{limit}`). Typed over every CounterName, so a
 * new counter cannot be added without deciding where it goes.
 */
const COUNTER_EXPORT: Record<Exclude<CounterName, "requests" | "replies">, readonly ["errors" | "refusals", string]> = {
  decodeErrors: ["errors", "decode"],
  unknownPayload: ["errors", "unknown_payload"],
  badFrames: ["errors", "bad_frames"],
  handlerErrors: ["errors", "handler"],
  sendFailures: ["errors", "send_failure"],
  tooLarge: ["refusals", "max_payload"],
  unavailable: ["refusals", "draining"],
  deadlines: ["refusals", "handler_timeout"],
};

declare module "prom-client" {
  interface Histogram<T extends string = string> {
    /** What Registry.metrics() formats: prom-client 15 calls it instead of get() when a metric has it. */
    getForPromString(): ReturnType<Histogram<T>["get"]>;
  }
}

/** A histogram whose buckets live in shared memory: read at scrape time instead of prom-client's own observe(). */
class SharedHistogram extends Histogram {
  constructor(
    registry: Registry,
    private readonly read: () => DurationSnapshot,
  ) {
    super({
      name: "zpb_handler_duration_seconds",
      help: "Time a handler took per request (sync return or promise settled), every worker summed",
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    });
  }

  /** prom-client's own (empty) histogram object, its values replaced by the shared-memory buckets. */
  override async getForPromString() {
    const base = await super.getForPromString();
    const { buckets, sumSeconds, count } = this.read();
    return {
      ...base,
      values: [
        ...buckets.map((b) => ({
          metricName: `${base.name}_bucket`,
          labels: { le: b.le === Infinity ? "+Inf" : b.le },
          value: b.count,
        })),
        { metricName: `${base.name}_sum`, labels: {}, value: sumSeconds },
        { metricName: `${base.name}_count`, labels: {}, value: count },
      ],
    };
  }

  override get() {
    return this.getForPromString();
  }
}

/** The registry: zpb's metrics, each read from `source` at scrape time, plus prom-client's process metrics. */
export function createRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // One read of shared memory per scrape, shared by every collect() below.
  let cached: { at: number; stats: ServerStats } | undefined;
  const stats = (): ServerStats => {
    const now = performance.now();
    if (cached === undefined || now - cached.at > 50) cached = { at: now, stats: source.stats() };
    return cached.stats;
  };
  // Each metric is rebuilt from shared memory when scraped: reset, then set from what `read` finds there.
  const atScrape = <M extends { reset(): void }>(read: (metric: M) => void) => ({
    collect(this: M) {
      this.reset();
      read(this);
    },
  });
  const counter = (name: string, help: string, read: (c: Counter) => void, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry], ...atScrape(read) });
  const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry], ...atScrape(read) });

  counter("zpb_requests_total", "Requests the workers received (good or bad)", (c) => c.inc(stats().total.requests));
  counter("zpb_replies_total", "Replies the workers sent, error replies included", (c) => c.inc(stats().total.replies));
  /** One counter over the worker counters COUNTER_EXPORT sends to `family`, labelled by their names there. */
  const family = (name: string, help: string, of: "errors" | "refusals", label: string) =>
    counter(
      name,
      help,
      (c) => {
        const total = stats().total;
        for (const [counterName, [to, value]] of Object.entries(COUNTER_EXPORT))
          if (to === of) c.inc({ [label]: value }, total[counterName as CounterName]);
      },
      [label],
    );
  family(
    "zpb_errors_total",
    "Requests answered with an error, and replies that could not be sent, by kind",
    "errors",
    "kind",
  );
  family(
    "zpb_refusals_total",
    "Requests refused because a limit said no (max_payload: --max-payload; draining: the server is stopping)",
    "refusals",
    "limit",
  );
  counter("zpb_worker_deaths_total", "Worker threads that died", (c) => c.inc(stats().workerDeaths));
  counter("zpb_worker_replacements_total", "Workers started in place of one that died, and serving", (c) =>
    c.inc(source.replacements()),
  );
  counter(
    "zpb_worker_requests_total",
    "Requests each worker slot received (a replacement continues its slot)",
    (c) => {
      for (const [worker, counters] of stats().workers.entries()) c.inc({ worker: String(worker) }, counters.requests);
    },
    ["worker"],
  );
  gauge(
    "zpb_worker_share",
    "Each worker slot's share of all requests so far (0..1)",
    (g) => {
      for (const [worker, share] of stats().share.entries()) g.set({ worker: String(worker) }, share);
    },
    ["worker"],
  );
  /** One counter over some of the main thread's refusal counters, labelled as `labels` names them. */
  const refusals = (
    name: string,
    help: string,
    label: string,
    labels: Partial<Record<keyof RefusalCounters, string>>,
  ) =>
    counter(
      name,
      help,
      (c) => {
        const counted = stats().refusals;
        for (const [key, value] of Object.entries(labels))
          c.inc({ [label]: value }, counted[key as keyof RefusalCounters]);
      },
      [label],
    );
  refusals("zpb_worker_ends_total", "Workers ended to protect the rest, by reason (then replaced)", "reason", {
    stalls: "stall",
    heapLimit: "heap_limit",
  });
  refusals(
    "zpb_connections_total",
    "Connection events on the clients' sockets (zpb-server only: a socket monitor)",
    "event",
    {
      accepted: "accepted",
      acceptFailures: "accept_failed",
      handshakeFailures: "handshake_failed",
      disconnects: "disconnected",
    },
  );
  refusals("zpb_curve_refusals_total", "Peers whose CURVE key an allow-list refused", "peer", {
    curveClients: "client",
    curveHosts: "host",
  });
  refusals(
    "zpb_reply_drops_total",
    "Replies dropped: slow_consumer (--reply-hwm unread), client_gone (counted with --forwarder js or --backend)",
    "reason",
    { slowConsumerDrops: "slow_consumer", repliesToGone: "client_gone" },
  );
  gauge("zpb_in_flight_requests", "Requests received and not answered yet (requests − replies − failed sends)", (g) => {
    const t = stats().total;
    g.set(Math.max(0, t.requests - t.replies - t.sendFailures));
  });
  gauge("zpb_workers", "Worker threads the server runs when healthy", (g) => g.set(source.workers));
  gauge("zpb_workers_serving", "Worker threads serving right now", (g) => g.set(stats().serving));
  new SharedHistogram(registry, () => source.durations());
  return registry;
}

/** /healthz: 200 while every worker serves; 503 while starting, draining, or a worker is being replaced. */
function health(source: MetricsSource): { status: number; body: object } {
  const state = source.state();
  const serving = state === "starting" ? 0 : source.stats().serving;
  const healthy = state === "serving" && serving === source.workers;
  return { status: healthy ? 200 : 503, body: { status: healthy ? "ok" : state, serving, workers: source.workers } };
}

/** Starts the HTTP endpoint on `address` (`HOST:PORT`); resolves once it listens. */
export async function startMetrics(address: string, source: MetricsSource): Promise<MetricsEndpoint> {
  const { host, port } = parseHttpAddress(address);
  const registry = createRegistry(source);
  const respond = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/metrics") {
      const text = await registry.metrics();
      response.writeHead(200, { "content-type": registry.contentType }).end(text);
    } else if (path === "/healthz") {
      const { status, body } = health(source);
      response.writeHead(status, { "content-type": "application/json" }).end(`${JSON.stringify(body)}\n`);
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("zpb: /metrics or /healthz\n");
    }
  };
  const server = createServer((request, response) => {
    respond(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const url = `http://${formatHttpAddress({ host, port: typeof bound === "object" && bound !== null ? bound.port : port })}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
