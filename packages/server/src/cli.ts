// zpb-server: the command line. `pnpm --filter server start` runs this with no arguments: the seed's
// endpoints, one worker per core, Ping → Pong and echo.
import { Command, InvalidArgumentError, Option } from "commander";
import { createLogger, type LogFormat } from "./cli-log.js";
import { DEFAULTS, type ServerOptions } from "./options.js";
import { startServer, type RunningServer } from "./server.js";
import { errorCounts, type ServerStats } from "./stats.js";

function integerArg(min: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return value;
  };
}

/** Parses argv into server options plus the CLI's own settings. */
export function parseCli(argv: string[]): { options: ServerOptions; statsInterval: number; logFormat: LogFormat } {
  const program = new Command("zpb-server")
    .description("Serve zpb Envelopes (Ping → Pong by default) on a ROUTER front with a pool of worker threads.")
    .option("--bind <endpoint...>", "endpoints of the Envelope service", [...DEFAULTS.bind])
    .option("--echo <endpoint>", "endpoint of the raw-bytes echo service", DEFAULTS.echo)
    .option("--no-echo", "do not serve echo")
    .option("--workers <n>", "worker threads (default: available parallelism)", integerArg(1))
    .option(
      "--handler <path|url>",
      'handler module for the Envelope service ("ping", "echo", a path or a URL)',
      DEFAULTS.handler,
    )
    .option(
      "--stats-interval <ms>",
      "log counters every <ms> while they change (0 = only on SIGUSR2)",
      integerArg(0),
      DEFAULTS.statsInterval,
    )
    .option("--max-payload <bytes>", "answer larger requests with CODE_TOO_LARGE", integerArg(0), DEFAULTS.maxPayload)
    .option(
      "--max-message-size <bytes>",
      "libzmq hard cap: larger frames disconnect the peer (default: max(16 MiB, 4 × max-payload))",
      integerArg(1),
    )
    .option("--concurrency <n>", "async handler calls in flight per worker", integerArg(1), DEFAULTS.concurrency)
    .option(
      "--request-hwm <n>",
      "requests queued per worker before the front backs off",
      integerArg(1),
      DEFAULTS.requestHighWaterMark,
    )
    .option(
      "--reply-hwm <n>",
      "replies queued per client before libzmq drops them (0 = never drop)",
      integerArg(0),
      DEFAULTS.replyHighWaterMark,
    )
    .option(
      "--drain-timeout <ms>",
      "on SIGINT/SIGTERM, how long running handlers may finish",
      integerArg(0),
      DEFAULTS.drainTimeout,
    )
    .addOption(
      new Option("--forwarder <kind>", "front↔worker forwarding: libzmq's proxy, or JS loops (to measure)")
        .choices(["proxy", "js"])
        .default("proxy"),
    )
    .addOption(
      new Option("--log-format <format>", "log lines for people or for machines")
        .choices(["pretty", "json"])
        .default("pretty"),
    )
    .showHelpAfterError()
    .parse(argv);
  const o = program.opts<{
    bind: string[];
    echo: string | false;
    workers?: number;
    handler: string;
    statsInterval: number;
    maxPayload: number;
    maxMessageSize?: number;
    concurrency: number;
    requestHwm: number;
    replyHwm: number;
    drainTimeout: number;
    logFormat: LogFormat;
    forwarder: "proxy" | "js";
  }>();
  const options: ServerOptions = {
    bind: o.bind,
    echo: o.echo,
    handler: o.handler,
    maxPayload: o.maxPayload,
    concurrency: o.concurrency,
    requestHighWaterMark: o.requestHwm,
    replyHighWaterMark: o.replyHwm,
    drainTimeout: o.drainTimeout,
    forwarder: o.forwarder,
    ...(o.workers === undefined ? {} : { workers: o.workers }),
    ...(o.maxMessageSize === undefined ? {} : { maxMessageSize: o.maxMessageSize }),
  };
  return { options, statsInterval: o.statsInterval, logFormat: o.logFormat };
}

function describe(server: RunningServer, handler: string): string {
  const what = handler === "ping" ? "Ping → Pong" : `handler ${handler}`;
  const main = server.endpoints.main.length > 0 ? `${what} on ${server.endpoints.main.join(", ")}` : "";
  const echo = server.endpoints.echo === undefined ? "" : `echo on ${server.endpoints.echo}`;
  return [main, echo].filter(Boolean).join("; ");
}

function statsFields(stats: ServerStats): object {
  return {
    requests: stats.total.requests,
    replies: stats.total.replies,
    errors: errorCounts(stats.total),
    share: stats.share.map((s) => `${(s * 100).toFixed(1)}%`),
    workerDeaths: stats.workerDeaths,
  };
}

function statsLine(stats: ServerStats): string {
  const errors = Object.entries(errorCounts(stats.total))
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  const share = stats.share.map((s, i) => `w${i} ${(s * 100).toFixed(0)}%`).join(" ");
  return (
    `requests ${stats.total.requests}, replies ${stats.total.replies}, ` +
    `errors ${errors.length === 0 ? "none" : errors.join(", ")}; share ${share}; worker deaths ${stats.workerDeaths}`
  );
}

/** Runs the CLI until SIGINT/SIGTERM; exits 0 after a clean stop, 1 if the server failed. */
async function main(): Promise<void> {
  const { options, statsInterval, logFormat } = parseCli(process.argv);
  const logger = createLogger(logFormat);
  let server: RunningServer;
  try {
    server = await startServer({ ...options, logger });
  } catch (error) {
    logger.error(
      { err: error },
      `zpb server could not start: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
    return;
  }
  logger.info(
    { endpoints: server.endpoints, workers: server.workers },
    `zpb server: ${describe(server, String(options.handler))} — ${server.workers} worker thread(s)`,
  );
  logger.info({}, `stop with Ctrl-C (SIGINT) or SIGTERM; counters with kill -USR2 ${process.pid}`);

  let lastLogged = -1;
  const logStats = (force: boolean): void => {
    const stats = server.stats();
    const activity = stats.total.requests + stats.workerDeaths;
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
    logger.info({ signal }, `${signal}: stopping (draining up to ${options.drainTimeout} ms)`);
    void server.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

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
  }
}

await main();
