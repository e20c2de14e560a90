// zpb-server: the command line. `pnpm --filter server start` runs this with no arguments: the default
// endpoints (those of the Rust prost + zmq example), one worker per core, Ping → Pong and echo.
import { createLogger, statsFields, statsLine } from "./cli-log.js";
import { parseCli } from "./cli-program.js";
import { startJoiner } from "./scale/start-joiner.js";
import { reloadableLists, reloadLists } from "./cli-reload.js";
import { describeSecurity } from "./curve.js";
import { describeUplinkSecurity } from "./scale/link-security.js";
import { watchFrontConnections } from "./front.js";
import { startServer, type RunningServer } from "./server.js";

/** How long past drain + linger the process may take to end after SIGINT/SIGTERM before it exits regardless. */
const EXIT_GRACE_MS = 5000;

function describe(server: RunningServer, handler: string): string {
  const what = handler === "ping" ? "Ping → Pong" : `handler ${handler}`;
  const { join } = server.settings;
  if (join !== false) return `${what} for the server at ${join} (joined host)`;
  const main = server.endpoints.main.length > 0 ? `${what} on ${server.endpoints.main.join(", ")}` : "";
  const echo = server.endpoints.echo === undefined ? "" : `echo on ${server.endpoints.echo}`;
  const hosts = server.endpoints.backend === undefined ? "" : `hosts join on ${server.endpoints.backend}`;
  return [main, echo, hosts].filter(Boolean).join("; ");
}

/** The start-up line's security part: a front's (clients, and hosts joining it), or a joined host's link. */
function security(server: RunningServer): string {
  const { settings } = server;
  return settings.join === false ? describeSecurity(server.curve, settings.insecure) : describeUplinkSecurity(settings);
}

/** Runs the CLI until SIGINT/SIGTERM; exits 0 after a clean stop, 1 if the server failed. */
async function main(): Promise<void> {
  const { options, cli } = parseCli(process.argv);
  const { statsInterval } = cli;
  const logger = createLogger(cli);
  let server: RunningServer;
  try {
    watchFrontConnections();
    server = options.join ? await startJoiner({ ...options, logger }) : await startServer({ ...options, logger });
  } catch (error) {
    logger.error(
      { err: error },
      `zpb server could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
    return;
  }
  const lists = reloadableLists(server);
  const hup =
    lists.length === 0 ? "" : `; re-read the ${lists.map((l) => l.name).join(" and ")} with kill -HUP ${process.pid}`;

  let lastLogged = -1;
  const logStats = (force: boolean): void => {
    const stats = server.stats();
    const { refusals } = stats;
    const activity =
      stats.total.requests +
      stats.workerDeaths +
      refusals.acceptFailures +
      refusals.handshakeFailures +
      refusals.disconnects +
      refusals.slowConsumerDrops +
      refusals.repliesToGone +
      refusals.curveClients +
      refusals.curveHosts;
    if (!force && activity === lastLogged) return;
    lastLogged = activity;
    logger.info(statsFields(stats), statsLine(stats));
  };
  const timer = statsInterval > 0 ? setInterval(() => logStats(false), statsInterval) : undefined;
  timer?.unref();
  const onUsr2 = (): void => logStats(true);
  process.on("SIGUSR2", onUsr2);

  let signalledAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalledAt !== undefined) {
      // pnpm forwards Ctrl-C to its child on top of the terminal's own signal: one keypress, two signals.
      if (performance.now() - signalledAt > 500) logger.warn({ signal }, `already stopping (${signal} again)`);
      return;
    }
    signalledAt = performance.now();
    const { drainTimeout, linger } = server.settings;
    logger.info({ signal }, `${signal}: stopping (draining up to ${drainTimeout} ms)`);
    // stop() is bounded; this bounds the exit too, whatever else might still hold the event loop.
    setTimeout(
      () => {
        logger.error({}, "still running long after the stop: exiting now");
        process.exit(process.exitCode ?? 0);
      },
      drainTimeout + linger + EXIT_GRACE_MS,
    ).unref();
    void server.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onHup = (): void => reloadLists(lists, logger);
  if (lists.length > 0) process.on("SIGHUP", onHup);
  // The handlers go in first: a script that signals on seeing the endpoints (SIGUSR2 for the counters, say)
  // must not meet Node's default, which ends the process outright.
  logger.info(
    { endpoints: server.endpoints, workers: server.workers, curvePublicKey: server.curve?.publicKey },
    `zpb server: ${describe(server, String(options.handler ?? server.settings.handler))} — ${server.workers} worker thread(s); ${security(server)}`,
  );
  if (server.metrics !== undefined)
    logger.info(
      { metrics: server.metrics },
      `metrics on ${server.metrics}/metrics, health on ${server.metrics}/healthz`,
    );
  logger.info({}, `stop with Ctrl-C (SIGINT) or SIGTERM; counters with kill -USR2 ${process.pid}${hup}`);

  try {
    await server.closed;
    logStats(true);
    logger.info({}, "zpb server stopped");
  } catch (error) {
    logger.error({ err: error }, `zpb server failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    if ((error as { code?: unknown }).code === "STOP_TIMEOUT") {
      // Any normal exit would tear the stuck thread down with its sockets open, which aborts with
      // Napi::Error; waiting would hang forever. Killing the process is the one clean way out left.
      logger.error({}, "killing the process (SIGKILL): a stuck worker cannot be ended any other way");
      process.kill(process.pid, "SIGKILL");
    }
  } finally {
    if (timer !== undefined) clearInterval(timer);
    process.off("SIGUSR2", onUsr2);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("SIGHUP", onHup);
  }
}

await main();
// End here rather than let Node tear the process down: with replies still queued for clients that do not
// read, zeromq.js's teardown at a natural exit freed libzmq's messages into memory already freed, and glibc
// aborted the process (2 of 6 SIGTERMs measured; src/hostile.spec.ts "SIGTERM while clients that never
// read…"). Everything the server owed has been sent or given up by now; the exit code is main()'s.
process.exit();
