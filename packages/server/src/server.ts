import * as zmq from "zeromq";
import { RoutedDealer, Router } from "@zpb/transport";
import { ServerError } from "./errors.js";
import { resolveOptions, type ResolvedOptions, type ServerOptions } from "./options.js";
import { workerSettingsOf, type Forwarder, type ServerSettings } from "./settings.js";
import { fdLimitWarning } from "./fd-limit.js";
import { emptyFrontCounters, FrontEvents, type FrontCounters } from "./front-events.js";
import type { Logger } from "./log.js";
import { WorkerPool, type WorkerDeath } from "./pool.js";
import { collectStats, createCounterMemory, type ServerStats } from "./stats.js";
import type { ServiceSpec } from "./task.js";

/** The endpoints a running server actually bound (a `:0` or `:*` port shows the port the OS picked). */
export interface BoundEndpoints {
  /** The Envelope service's endpoints, in the order given. */
  main: string[];
  /** The echo endpoint, or undefined when echo is off. */
  echo: string | undefined;
}

/** A started server: where it listens, its counters, and how to stop it. */
export interface RunningServer {
  readonly endpoints: BoundEndpoints;
  /** Worker threads in the pool. */
  readonly workers: number;
  /** The settings in effect (every default applied). */
  readonly settings: Readonly<ServerSettings>;
  /** Counters summed and per worker (cheap: reads shared memory, no messages to the workers). */
  stats(): ServerStats;
  /** Every worker death since start (each was replaced unless the server was stopping). */
  deaths(): readonly WorkerDeath[];
  /**
   * Stops in order: workers refuse new requests (CODE_UNAVAILABLE), finish running handlers and flush
   * replies (up to `drainTimeout`), and keep refusing; the proxies stop (they never wait on a backend that
   * nobody reads); the workers close their sockets and end; the front sockets close (lingering up to
   * `linger` to deliver the last replies). Bounded: drainTimeout + linger + about a second. Idempotent.
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
/**
 * How long a terminated proxy may take to notice before a sink starts reading its backend: libzmq's proxy
 * sees terminate() only between forwards, so one blocked sending to a backend nobody reads never would.
 */
const PROXY_STOP_TIMEOUT_MS = 500;

let instances = 0;

/** One front ROUTER, its backend DEALER and libzmq's proxy between them (run on a libuv pool thread). */
class Front {
  readonly router: Router<unknown>;
  readonly backend: RoutedDealer<unknown>;
  readonly bound: string[] = [];
  readonly backendAddress: string;
  readonly counters: FrontCounters = emptyFrontCounters();
  private proxy: zmq.Proxy<zmq.Router, zmq.Dealer> | undefined;
  private running: Promise<void> | undefined;
  private terminated = false;
  private events: FrontEvents | undefined;

  constructor(
    readonly name: string,
    private readonly endpoints: string[],
    options: ResolvedOptions,
  ) {
    this.router = new Router<unknown>({
      // Not `mandatory`: with it, libzmq's proxy stops for good (EHOSTUNREACH) the first time a client leaves
      // before its reply arrives. The send HWM bounds what a client that does not read can make us hold.
      mandatory: false,
      sendHighWaterMark: options.replyHighWaterMark,
      linger: options.linger,
      maxMessageSize: options.maxMessageSize,
      // A client reconnecting with the routing id it had (or another peer claiming it) takes it over and
      // gets the replies, instead of libzmq silently keeping the first holder.
      handover: true,
      heartbeatInterval: options.heartbeatInterval,
      heartbeatTimeout: options.heartbeatTimeout,
      handshakeInterval: options.handshakeTimeout,
    });
    this.backend = new RoutedDealer<unknown>({
      sendHighWaterMark: options.requestHighWaterMark,
      // The reply direction never blocks, so the proxy (one thread, both directions) cannot deadlock.
      receiveHighWaterMark: 0,
      linger: options.linger,
    });
    this.backendAddress = `inproc://zpb-server-${process.pid}-${++instances}-${name}`;
  }

  async bind(): Promise<void> {
    for (const endpoint of this.endpoints) this.bound.push(await this.router.bind(endpoint));
    await this.backend.bind(this.backendAddress);
  }

  /** Starts forwarding; `onFailure` hears of it stopping on its own. */
  start(forwarder: Forwarder, logger: Logger, onFailure: (error: ServerError) => void): void {
    // The monitor must be set up before zmq_proxy takes the socket.
    this.events = new FrontEvents(this.router.socket, this.counters, this.name, logger);
    const forwarding = forwarder === "js" ? this.forwardInJs() : this.runProxy();
    this.running = forwarding.then(
      () => {
        if (!this.terminated) onFailure(new ServerError("PROXY", `the ${this.name} proxy stopped on its own`));
      },
      (cause: unknown) => {
        const text = cause instanceof Error ? cause.message : String(cause);
        if (!this.terminated) onFailure(new ServerError("PROXY", `the ${this.name} proxy failed: ${text}`, { cause }));
      },
    );
  }

  private runProxy(): Promise<void> {
    this.proxy = new zmq.Proxy(this.router.socket, this.backend.socket);
    return this.proxy.run();
  }

  /** The same job as the proxy in two JS loops: slower (see README), kept to measure against. */
  private async forwardInJs(): Promise<void> {
    const front = this.router.socket;
    const back = this.backend.socket;
    const pump = async (from: zmq.Router | zmq.Dealer, to: zmq.Router | zmq.Dealer): Promise<void> => {
      try {
        for (;;) await to.send(await from.receive());
      } catch (error) {
        if (!this.terminated) throw error;
      }
    };
    await Promise.all([pump(front, back), pump(back, front)]);
  }

  /**
   * Stops forwarding and closes both sockets (the proxy closes them itself). Bounded: if the proxy has not
   * stopped within PROXY_STOP_TIMEOUT_MS it is blocked sending to the backend, so a sink DEALER connects to
   * the backend and reads (dropping what it reads: requests no worker took) until the proxy is done.
   */
  async stop(): Promise<void> {
    this.terminated = true;
    try {
      await this.stopForwarding();
    } finally {
      // Closing the socket ends its monitor too; this covers a socket that never got to close.
      this.events?.close();
    }
  }

  private async stopForwarding(): Promise<void> {
    if (this.proxy === undefined || this.running === undefined) {
      this.router.close();
      this.backend.close();
      if (this.running !== undefined) await this.running;
      return;
    }
    try {
      this.proxy.terminate();
    } catch {
      // Already terminated (its sockets are closed): nothing left to stop.
    }
    if (await settlesWithin(this.running, PROXY_STOP_TIMEOUT_MS)) return;
    const sink = new zmq.Dealer({ linger: 0, receiveTimeout: 50 });
    sink.connect(this.backendAddress);
    let stopped = false;
    void this.running.then(() => (stopped = true));
    const deadline = performance.now() + PROXY_STOP_TIMEOUT_MS * 4;
    while (!stopped && performance.now() < deadline) {
      try {
        await sink.receive();
      } catch {
        // Nothing to read within 50 ms: check whether the proxy is done.
      }
    }
    sink.close();
  }
}

function sumFrontCounters(all: FrontCounters[]): FrontCounters {
  const sum = emptyFrontCounters();
  for (const counters of all) for (const key of Object.keys(sum) as (keyof FrontCounters)[]) sum[key] += counters[key];
  return sum;
}

/** True when `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The URL of the built worker entry: beside this module in dist/, or ../dist/worker.js when this module
 * runs from source (the tests), since worker threads can only load built JavaScript.
 */
function workerUrl(): URL {
  const fromSource = import.meta.url.endsWith("/src/server.ts");
  return new URL(fromSource ? "../dist/worker.js" : "./worker.js", import.meta.url);
}

function settingsOnly({ logger: _logger, ...settings }: ResolvedOptions): Readonly<ServerSettings> {
  return Object.freeze(settings);
}

/**
 * Starts the server: binds the front ROUTER(s), starts `workers` serving threads, and runs libzmq's proxy
 * between each front and its workers. Resolves once every worker is serving.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  const { logger } = resolved;
  const lowFdLimit = fdLimitWarning();
  if (lowFdLimit !== undefined) logger.warn({}, lowFdLimit);
  const fronts: Front[] = [];
  if (resolved.bind.length > 0) fronts.push(new Front("main", resolved.bind, resolved));
  if (resolved.echo !== false) fronts.push(new Front("echo", [resolved.echo], resolved));

  const closeFronts = async (): Promise<void> => {
    await Promise.all(fronts.map((front) => front.stop()));
  };
  try {
    for (const front of fronts) await front.bind();
  } catch (cause) {
    await closeFronts();
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("SOCKET", `cannot start: ${text}`, { cause });
  }

  const services: ServiceSpec[] = fronts.map((front) => ({
    name: front.name,
    backend: front.backendAddress,
    handler: front.name === "echo" ? "echo" : resolved.handler,
  }));
  const threads = resolved.workers * services.length;
  const counters = createCounterMemory(threads);
  const pool = new WorkerPool({
    workersPerService: resolved.workers,
    workerUrl: workerUrl(),
    services,
    counters,
    settings: workerSettingsOf(resolved),
    logger,
  });
  try {
    await pool.start();
  } catch (error) {
    await closeFronts();
    throw error;
  }

  const startedAt = performance.now();
  let stopping: Promise<void> | undefined;
  let settleClosed!: (error?: unknown) => void;
  const closed = new Promise<void>((resolve, reject) => {
    settleClosed = (error) => (error === undefined ? resolve() : reject(error));
  });
  // A caller that never looks at `closed` must not get an unhandled rejection from it.
  closed.catch(() => undefined);
  let failure: ServerError | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const { drainTimedOut } = await pool.drain(resolved.drainTimeout);
      if (drainTimedOut > 0)
        logger.warn(
          { workers: drainTimedOut },
          `${drainTimedOut} worker(s) hit the ${resolved.drainTimeout} ms drain deadline`,
        );
      // The workers still read (and refuse) while the proxies stop, so no proxy waits on a silent backend.
      await new Promise((resolve) => setTimeout(resolve, PROXY_FLUSH_MS));
      await closeFronts();
      try {
        await pool.close();
      } catch (error) {
        failure ??= error instanceof ServerError ? error : new ServerError("STOP_TIMEOUT", String(error));
      }
      settleClosed(failure);
    })();
    return stopping;
  };

  for (const front of fronts) {
    front.start(resolved.forwarder, logger, (error) => {
      failure ??= error;
      logger.error({ err: error }, error.message);
      void stop();
    });
  }

  return {
    endpoints: {
      main: fronts.find((f) => f.name === "main")?.bound ?? [],
      echo: fronts.find((f) => f.name === "echo")?.bound[0],
    },
    workers: resolved.workers,
    settings: settingsOnly(resolved),
    stats: () =>
      collectStats(
        counters,
        resolved.workers,
        pool.deaths.length,
        pool.servingWorkers,
        performance.now() - startedAt,
        {
          stalls: pool.deathsOf("stall"),
          heapLimit: pool.deathsOf("heap"),
          ...sumFrontCounters(fronts.map((front) => front.counters)),
        },
        services.length,
      ),
    deaths: () => pool.deaths,
    stop,
    closed,
  };
}
