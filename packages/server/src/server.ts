import * as zmq from "zeromq";
import { RoutedDealer, Router } from "@zpb/transport";
import { ServerError } from "./errors.js";
import { resolveOptions, type ResolvedOptions, type ServerOptions } from "./options.js";
import { workerSettingsOf, type Forwarder, type ServerSettings } from "./settings.js";
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
/** Bound on waiting for a terminated proxy's run() to settle. */
const PROXY_STOP_TIMEOUT_MS = 2000;

let instances = 0;

/** One front ROUTER, its backend DEALER and libzmq's proxy between them (run on a libuv pool thread). */
class Front {
  readonly router: Router<unknown>;
  readonly backend: RoutedDealer<unknown>;
  readonly bound: string[] = [];
  readonly backendAddress: string;
  private proxy: zmq.Proxy<zmq.Router, zmq.Dealer> | undefined;
  private running: Promise<void> | undefined;
  private terminated = false;

  constructor(
    readonly name: string,
    private readonly endpoints: string[],
    options: ResolvedOptions,
  ) {
    this.router = new Router<unknown>({
      // Not `mandatory`: with it, libzmq's proxy stops for good (EHOSTUNREACH) the first time a client leaves
      // before its reply arrives. Loss is prevented by the send HWM instead (0 = replies are never dropped).
      mandatory: false,
      sendHighWaterMark: options.replyHighWaterMark,
      linger: options.linger,
      maxMessageSize: options.maxMessageSize,
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
  start(forwarder: Forwarder, onFailure: (error: ServerError) => void): void {
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

  /** Stops forwarding and closes both sockets (the proxy closes them itself). */
  async stop(): Promise<void> {
    this.terminated = true;
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
    await Promise.race([this.running, new Promise((resolve) => setTimeout(resolve, PROXY_STOP_TIMEOUT_MS).unref())]);
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
  const counters = createCounterMemory(resolved.workers);
  const pool = new WorkerPool({
    size: resolved.workers,
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
      const { drainTimedOut, stuck } = await pool.stop(resolved.drainTimeout);
      if (drainTimedOut > 0)
        logger.warn(
          { workers: drainTimedOut },
          `${drainTimedOut} worker(s) hit the ${resolved.drainTimeout} ms drain deadline`,
        );
      if (stuck.length > 0) {
        failure ??= new ServerError(
          "STOP_TIMEOUT",
          `worker(s) ${stuck.join(", ")} did not stop (stuck in synchronous code?); their threads still hold open sockets, so this process cannot end them safely`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, PROXY_FLUSH_MS));
      await closeFronts();
      settleClosed(failure);
    })();
    return stopping;
  };

  for (const front of fronts) {
    front.start(resolved.forwarder, (error) => {
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
      collectStats(counters, resolved.workers, pool.deaths.length, pool.serving, performance.now() - startedAt),
    deaths: () => pool.deaths,
    stop,
    closed,
  };
}
