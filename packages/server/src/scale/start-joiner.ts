// `zpb-server --join <endpoint>`: a host that runs only worker threads, for the server whose `--backend`
// is that endpoint (see joiner.ts for the relay, broker.ts for the other end).
import { ServerError } from "../errors.js";
import { resolveOptions, type ServerOptions } from "../options.js";
import { createDurationMemory } from "../durations.js";
import { WorkerPool } from "../pool.js";
import { workerUrl, type RunningServer } from "../server.js";
import { collectStats, createCounterMemory } from "../stats.js";
import { Uplink } from "./joiner.js";
import { uplinkSecurity } from "./link-security.js";

/**
 * Starts `workers` serving threads and joins them to the server at `options.join`. Resolves once every
 * worker serves (it joins in the background: libzmq connects and reconnects on its own). The result has
 * no client endpoints; stop() says `bye`, lets the threads finish what they hold, then closes.
 */
export async function startJoiner(options: ServerOptions): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  if (resolved.join === false)
    throw new ServerError("INVALID_OPTION", "join: the endpoint of the server to join is missing");
  const { logger } = resolved;
  const uplink = new Uplink({
    join: resolved.join,
    workers: resolved.workers,
    heartbeatMs: resolved.hostHeartbeat,
    maxMessageSize: resolved.maxMessageSize,
    requestHighWaterMark: resolved.requestHighWaterMark,
    linger: resolved.linger,
    uplinkSocket: uplinkSecurity(resolved),
    logger,
  });
  await uplink.bind();
  const services = [{ name: "main", backend: uplink.backendAddress, handler: resolved.handler }];
  const counters = createCounterMemory(resolved.workers);
  const { logger: _logger, ...settings } = resolved;
  const pool = new WorkerPool({
    workerUrl: workerUrl(),
    services,
    counters,
    durations: createDurationMemory(resolved.workers),
    settings,
    logger,
  });
  try {
    await pool.start();
  } catch (error) {
    await uplink.close();
    throw error;
  }
  uplink.start();
  const startedAt = performance.now();

  let stopping: Promise<void> | undefined;
  let settleClosed!: (error?: unknown) => void;
  const closed = new Promise<void>((resolve, reject) => {
    settleClosed = (error) => (error === undefined ? resolve() : reject(error));
  });
  closed.catch(() => undefined);
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      uplink.leave();
      // The server's stop order (README, "Shutdown"): workers drain and keep refusing until the uplink that
      // feeds them has stopped, and only then close their sockets.
      await pool.drain(resolved.drainTimeout);
      await uplink.close();
      let failure: unknown;
      try {
        await pool.close();
      } catch (error) {
        failure = error;
      }
      settleClosed(failure);
    })();
    return stopping;
  };
  return {
    endpoints: { main: [], echo: undefined },
    metrics: undefined,
    curve: undefined,
    workers: resolved.workers,
    settings: Object.freeze(settings),
    stats: () =>
      collectStats(counters, resolved.workers, pool.deaths.length, pool.serving, performance.now() - startedAt),
    deaths: () => pool.deaths,
    stop,
    closed,
  };
}
