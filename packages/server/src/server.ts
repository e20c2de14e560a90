// startServer: wires the fronts (ROUTER, forwarder, backend DEALER per service) to the worker pool, and
// owns the stop order. See the README, "How it works" and "Shutdown".
import * as zmq from "zeromq";
import { startCurve, type CurveSetup, type ServerCurve } from "./curve.js";
import { ServerError } from "./errors.js";
import { fdLimitWarning } from "./fd-limit.js";
import { closeFronts, openFronts, type ServiceFront } from "./front.js";
import { emptyFrontCounters, type FrontCounters } from "./front-events.js";
import { awaitZmqIoThreadIds, pinThread } from "./pin.js";
import type { Logger } from "./log.js";
import { resolveOptions, type ResolvedOptions, type ServerOptions } from "./options.js";
import { WorkerPool, type WorkerDeath } from "./pool.js";
import type { ServerSettings } from "./settings.js";
import { collectStats, createCounterMemory, type ServerStats } from "./stats.js";
import { createDurationMemory, readDurations } from "./durations.js";
import { startMetrics, type MetricsEndpoint, type ServingState } from "./metrics.js";
import type { ServiceSpec } from "./task.js";
import { Broker, type BrokerStats } from "./scale/broker.js";
import { startBackendSecurity, type BackendSecurity } from "./scale/link-security.js";
import { unavailableReplyOf } from "./scale/unavailable.js";

/** The endpoints a running server actually bound (a `:0` or `:*` port shows the port the OS picked). */
export interface BoundEndpoints {
  /** The Envelope service's endpoints, in the order given. */
  main: string[];
  /** The echo endpoint, or undefined when echo is off. */
  echo: string | undefined;
  /** Where worker hosts join (`backend`, as bound), or undefined when they cannot. */
  backend?: string | undefined;
}

/** A started server: where it listens, its counters, and how to stop it. */
export interface RunningServer {
  readonly endpoints: BoundEndpoints;
  /** Worker threads in the pool. */
  readonly workers: number;
  /** The settings in effect (every default applied). */
  readonly settings: Readonly<ServerSettings>;
  /**
   * CURVE on the fronts (public key, allow-list, refusals, reload), and on the host link (`curve.hosts`, with
   * `backend`), or undefined when serving plaintext.
   */
  readonly curve: ServerCurve | undefined;
  /** The metrics endpoint's base URL (`http://127.0.0.1:9464`; `/metrics`, `/healthz`), or undefined when off. */
  readonly metrics: string | undefined;
  /** Counters summed and per worker (cheap: reads shared memory, no messages to the workers). */
  stats(): ServerStats;
  /** Every worker death since start (each was replaced unless the server was stopping). */
  deaths(): readonly WorkerDeath[];
  /** With `backend`: the broker's counters and the hosts that joined; otherwise undefined. */
  scaleOut?(): BrokerStats | undefined;
  /**
   * Stops in order: workers refuse new requests (CODE_UNAVAILABLE), finish running handlers and flush
   * replies (up to `drainTimeout`), close their sockets and end; then the proxies stop and the front sockets
   * close (lingering up to `linger` to deliver the last replies). Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Resolves once stop() has finished; rejects with ServerError "PROXY" if a proxy died on its own, or
   * "STOP_TIMEOUT" if a worker never stopped (its thread still holds sockets: only killing the process ends it).
   */
  readonly closed: Promise<void>;
}

/** How long the proxies get to move the workers' last replies to the front before they are stopped. */
const PROXY_FLUSH_MS = 50;
/** How long past `linger` libzmq gets to drop what a closed front still held (its reaper runs apart). */
const RELEASE_MARGIN_MS = 100;

function sumFrontCounters(all: FrontCounters[]): FrontCounters {
  const sum = emptyFrontCounters();
  for (const counters of all) for (const key of Object.keys(sum) as (keyof FrontCounters)[]) sum[key] += counters[key];
  return sum;
}

/**
 * The URL of the built worker entry: beside this module in dist/, or ../dist/worker.js when this module
 * runs from source (the tests), since worker threads can only load built JavaScript.
 */
export function workerUrl(): URL {
  const fromSource = import.meta.url.endsWith("/src/server.ts");
  return new URL(fromSource ? "../dist/worker.js" : "./worker.js", import.meta.url);
}

/** `pin`: libzmq's I/O threads (started by the first socket, so open fronts guarantee they exist) to core 0. */
async function pinIoThreads(): Promise<void> {
  const ids = await awaitZmqIoThreadIds(zmq.context.ioThreads);
  if (ids.length === 0) throw new Error("cannot pin: no libzmq I/O thread found under /proc/self/task");
  for (const tid of ids) await pinThread(tid, 0);
}

/** What each worker serves: one service per front, the echo front with the built-in echo handler. */
function servicesOf(fronts: readonly ServiceFront[], handler: string): ServiceSpec[] {
  return fronts.map((front) => ({
    name: front.name,
    backend: front.backendAddress,
    handler: front.name === "echo" ? "echo" : handler,
  }));
}

/**
 * Starts the server: binds the front ROUTER(s), starts `workers` serving threads, and runs libzmq's proxy
 * between each front and its workers. Resolves once every worker is serving.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  const lowFdLimit = fdLimitWarning();
  if (lowFdLimit !== undefined) resolved.logger.warn({}, lowFdLimit);
  // One thread per service and worker (one socket per thread: see task.ts), each with its counter slot.
  const services = (resolved.bind.length > 0 ? 1 : 0) + (resolved.echo !== false ? 1 : 0);
  const threads = resolved.workers * services;
  const counters = createCounterMemory(threads);
  const durations = createDurationMemory(threads);
  const startedAt = performance.now();
  const status: ServerStatus = { state: "starting", pool: undefined };
  let fronts: ServiceFront[] = [];
  let curve: ServerSecurity | undefined;
  const readStats = (): ServerStats => {
    const pool = status.pool;
    const refusals = {
      stalls: pool?.deathsOf("stall") ?? 0,
      heapLimit: pool?.deathsOf("heap") ?? 0,
      curveClients: curve?.state.refused() ?? 0,
      curveHosts: curve?.state.hosts?.refused() ?? 0,
      ...sumFrontCounters(fronts.map((front) => front.counters)),
    };
    const uptimeMs = performance.now() - startedAt;
    const deaths = pool?.deaths.length ?? 0;
    return collectStats(counters, resolved.workers, deaths, pool?.servingWorkers ?? 0, uptimeMs, refusals, services);
  };
  // Up before anything else, so /healthz answers 503 while the server starts.
  const metrics = await openMetrics(resolved, status, readStats, () => readDurations(durations, threads));
  // Before any front binds, so no client is ever judged without the server's ZAP policy in place.
  let broker: Broker | undefined;
  const closeSecurity = async () => {
    await curve?.close();
    await curve?.hostLink?.close();
  };
  try {
    curve = await startSecurity(resolved);
    broker = await brokerFor(resolved, curve);
    fronts = await openFronts(resolved, curve?.socketOptions, broker);
  } catch (error) {
    await closeSecurity();
    await metrics?.close();
    throw error;
  }
  if (resolved.pin) {
    try {
      await pinIoThreads();
    } catch (cause) {
      await closeFronts(fronts);
      await closeSecurity();
      await metrics?.close();
      throw new ServerError("PIN", (cause as Error).message, { cause });
    }
  }
  const { logger, ...settings } = resolved;
  const pool = poolOf({
    workerUrl: workerUrl(),
    services: servicesOf(fronts, resolved.handler),
    counters,
    durations,
    settings,
    logger,
  });
  status.pool = pool;
  try {
    await pool.start();
  } catch (error) {
    await closeFronts(fronts);
    await closeSecurity();
    await metrics?.close();
    throw error;
  }
  status.state = "serving";
  return new Server(resolved, fronts, pool, readStats, status, metrics, curve, broker);
}

/** The fronts' CURVE and the host link's (a CURVE setup with `hostLink`), or undefined when plaintext. */
type ServerSecurity = CurveSetup & { hostLink?: BackendSecurity | undefined };

/**
 * CURVE for the clients' fronts and, with `backend`, for the host link (its own ZAP domain and allow-list),
 * before any socket binds, so no peer is ever judged without the server's ZAP policy in place.
 */
async function startSecurity(resolved: ResolvedOptions): Promise<ServerSecurity | undefined> {
  const curve = await startCurve(resolved, resolved.logger);
  if (curve === undefined) return undefined;
  let hostLink: BackendSecurity | undefined;
  try {
    hostLink = await startBackendSecurity(resolved, resolved.logger);
  } catch (error) {
    await curve.close();
    throw error;
  }
  return { ...curve, state: { ...curve.state, hosts: hostLink?.state }, hostLink };
}

/** With `backend`, the Envelope service routes through the broker, so worker hosts can join (scale/). */
async function brokerFor(resolved: ResolvedOptions, security: ServerSecurity | undefined): Promise<Broker | undefined> {
  const { logger, ...settings } = resolved;
  if (settings.backend === false || settings.bind.length === 0) return undefined;
  const unavailable = await unavailableReplyOf(settings.handler);
  const backendSocket = security?.hostLink?.socketOptions ?? {};
  return new Broker(settings, settings.backend, logger, unavailable, backendSocket, security?.socketOptions);
}

/** What a server needs of its pool. */
export type Pool = Pick<
  WorkerPool,
  "start" | "drain" | "close" | "deaths" | "deathsOf" | "serving" | "servingWorkers" | "replacements"
>;

/** The worker pool, or for `workers` 0 (a pure router: only joined hosts serve) one with no threads. */
export function poolOf(options: ConstructorParameters<typeof WorkerPool>[0]): Pool {
  if (options.settings.workers > 0) return new WorkerPool(options);
  return {
    start: async () => {},
    drain: async () => ({ drainTimedOut: 0 }),
    close: async () => {},
    deaths: [],
    deathsOf: () => 0,
    serving: 0,
    servingWorkers: 0,
    replacements: 0,
  };
}

/** What the metrics endpoint reads about the server while it starts, serves and stops. */
interface ServerStatus {
  state: ServingState;
  pool: Pool | undefined;
}

/** The metrics endpoint when `metrics` is set: it reads the server's shared memory at scrape time. */
async function openMetrics(
  resolved: ResolvedOptions,
  status: ServerStatus,
  stats: () => ServerStats,
  durations: () => ReturnType<typeof readDurations>,
): Promise<MetricsEndpoint | undefined> {
  if (resolved.metrics === false) return undefined;
  try {
    return await startMetrics(resolved.metrics, {
      workers: resolved.workers,
      stats,
      replacements: () => status.pool?.replacements ?? 0,
      durations,
      state: () => status.state,
    });
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("SOCKET", `cannot start the metrics endpoint on ${resolved.metrics}: ${text}`, { cause });
  }
}

/** A started server: the stop order and the failure that ends it. */
class Server implements RunningServer {
  readonly endpoints: BoundEndpoints;
  readonly workers: number;
  readonly settings: Readonly<ServerSettings>;
  readonly curve: ServerCurve | undefined;
  readonly metrics: string | undefined;
  readonly closed: Promise<void>;
  private readonly logger: Logger;
  private settleClosed!: (error?: unknown) => void;
  private stopping: Promise<void> | undefined;
  /** What `closed` rejects with: the first failure seen. */
  private failure: ServerError | undefined;

  constructor(
    resolved: ResolvedOptions,
    private readonly fronts: readonly ServiceFront[],
    private readonly pool: Pool,
    private readonly readStats: () => ServerStats,
    private readonly status: ServerStatus,
    private readonly metricsEndpoint: MetricsEndpoint | undefined,
    private readonly curveSetup: ServerSecurity | undefined,
    private readonly broker: Broker | undefined,
  ) {
    this.curve = curveSetup?.state;
    const { logger, ...settings } = resolved;
    this.logger = logger;
    this.settings = Object.freeze(settings);
    this.workers = settings.workers;
    this.metrics = metricsEndpoint?.url;
    this.endpoints = {
      main: fronts.find((f) => f.name === "main")?.bound ?? [],
      echo: fronts.find((f) => f.name === "echo")?.bound[0],
      backend: broker?.joinEndpoint,
    };
    this.closed = new Promise<void>((resolve, reject) => {
      this.settleClosed = (error) => (error === undefined ? resolve() : reject(error));
    });
    // A caller that never looks at `closed` must not get an unhandled rejection from it.
    this.closed.catch(() => undefined);
    for (const front of fronts) front.start(settings.forwarder, logger, (error) => this.fail(error));
  }

  stats(): ServerStats {
    return this.readStats();
  }

  deaths(): readonly WorkerDeath[] {
    return this.pool.deaths;
  }

  scaleOut(): BrokerStats | undefined {
    return this.broker?.stats();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /**
   * Workers drain first (refusing new requests, finishing running ones) and keep refusing while the fronts
   * stop — a proxy sending to a backend nobody reads would never see its terminate — then the workers close
   * their sockets and end. Bounded: drainTimeout + about a second, plus linger for the last replies.
   */
  private async shutdown(): Promise<void> {
    this.status.state = "draining";
    await this.drainWorkers();
    await new Promise((resolve) => setTimeout(resolve, PROXY_FLUSH_MS));
    await closeFronts(this.fronts, this.settings.drainTimeout);
    // Replies still queued for clients that do not read are the workers' memory (zeromq sends large frames
    // without copying): libzmq must have dropped them, `linger` after the close, before the threads that
    // own them end. Measured with two non-reading clients connected at SIGTERM: without this wait a stop
    // crashed (SIGSEGV) even with the CLI's process.exit(); without either, 2 stops in 6 aborted.
    await new Promise((resolve) => setTimeout(resolve, this.settings.linger + RELEASE_MARGIN_MS));
    try {
      await this.pool.close();
    } catch (error) {
      this.failure ??= error instanceof ServerError ? error : new ServerError("STOP_TIMEOUT", String(error));
    }
    // After the fronts and the broker's backend: their sockets were the ones asking it.
    await this.curveSetup?.close();
    await this.curveSetup?.hostLink?.close();
    await this.metricsEndpoint?.close();
    this.settleClosed(this.failure);
  }

  private async drainWorkers(): Promise<void> {
    const { drainTimeout } = this.settings;
    const { drainTimedOut } = await this.pool.drain(drainTimeout);
    if (drainTimedOut > 0)
      this.logger.warn(
        { workers: drainTimedOut },
        `${drainTimedOut} worker(s) hit the ${drainTimeout} ms drain deadline`,
      );
  }

  /** A front can no longer route: log it and stop the whole server, whose `closed` then rejects. */
  private fail(error: ServerError): void {
    this.failure ??= error;
    this.logger.error({ err: error }, error.message);
    void this.stop();
  }
}
