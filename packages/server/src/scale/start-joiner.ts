// `zpb-server --join <endpoint>`: a host that runs only worker threads, for the server whose `--backend`
// is that endpoint (see joiner.ts for the relay, broker.ts for the other end).
import type { HandshakeFailure } from "@zpb/transport";
import { ServerError } from "../errors.js";
import { resolveOptions, type ServerOptions } from "../options.js";
import { createDurationMemory } from "../durations.js";
import { WorkerPool } from "../pool.js";
import { workerUrl, type RunningServer } from "../server.js";
import { collectStats, createCounterMemory } from "../stats.js";
import { Uplink } from "./joiner.js";
import { uplinkSecurity } from "./link-security.js";

/**
 * Why a refused host stops instead of retrying: a refusal is the front operator's decision (this host's key
 * is not, or no longer, in its `--host-keys`) or a configuration mismatch (CURVE on one end only, a wrong
 * key), and retrying fixes neither. A host that retried forever would look healthy to its supervisor while
 * serving nothing, and a revoked host would keep knocking. So it logs what to fix and exits 1 (`closed`
 * rejects with ServerError REFUSED); the supervisor's restart policy (systemd's RestartSec and start limit,
 * Kubernetes' CrashLoopBackOff) makes the failure visible and paces the retries, and a host whose key was
 * added meanwhile (then `kill -HUP` the front) joins on its next start.
 */
function refusalError(failure: HandshakeFailure, join: string, publicKey: string | undefined): ServerError {
  const text =
    failure.kind === "refused"
      ? `the front at ${join} refused this host's CURVE key ${publicKey ?? "?"} (ZAP status ${failure.status ?? "?"}): ` +
        "add this host's public certificate (NAME.key) to the front's --host-keys directory, kill -HUP the front, " +
        "and start this host again"
      : `the front at ${join} and this host (${publicKey === undefined ? "plaintext" : "CURVE"}) disagree on ` +
        `security (${failure.reason}): give --curve-key and --server-key here exactly when the front has ` +
        "--curve-key, and check that --server-key is the front's public key";
  return new ServerError("REFUSED", text);
}

/**
 * Starts `workers` serving threads and joins them to the server at `options.join`. Resolves once every
 * worker serves (it joins in the background: libzmq connects and reconnects on its own). The result has
 * no client endpoints; stop() says `bye`, lets the threads finish what they hold, then closes. A front that
 * refuses this host ends it: `closed` rejects with ServerError REFUSED (see refusalError for why).
 */
export async function startJoiner(options: ServerOptions): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  if (resolved.join === false)
    throw new ServerError("INVALID_OPTION", "join: the endpoint of the server to join is missing");
  const { logger, join } = resolved;
  const uplinkSocket = uplinkSecurity(resolved, logger);
  const publicKey = uplinkSocket.curvePublicKey;
  let refusal: ServerError | undefined;
  const uplink = new Uplink({
    join,
    workers: resolved.workers,
    heartbeatMs: resolved.hostHeartbeat,
    maxMessageSize: resolved.maxMessageSize,
    requestHighWaterMark: resolved.requestHighWaterMark,
    linger: resolved.linger,
    uplinkSocket,
    logger,
    onRefused: (failure) => {
      // Not logged here: `closed` rejects with it, which zpb-server logs as its last line before exiting 1.
      refusal = refusalError(failure, join, publicKey);
      void stop();
    },
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
      let failure: unknown = refusal;
      try {
        await pool.close();
      } catch (error) {
        failure ??= error;
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
