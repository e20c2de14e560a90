import pino from "pino";
import pretty from "pino-pretty";
import type { CliSettings } from "./cli-settings.js";
import { errorCounts, type ServerStats } from "./stats.js";

/**
 * The CLI's pino logger on stdout: `pretty` for people (the default), `json` (one pino object per line) for
 * machines. Pretty output is formatted synchronously in this thread (no transport worker thread), so the
 * lines are out before the process exits.
 */
export function createLogger({ logFormat, logLevel }: Pick<CliSettings, "logFormat" | "logLevel">): pino.Logger {
  if (logFormat === "json")
    return pino({ level: logLevel, base: { pid: process.pid } }, pino.destination({ sync: true }));
  const stream = pretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname",
    // People read the message; the fields stay in --log-format json.
    hideObject: true,
  });
  return pino({ level: logLevel, base: undefined }, stream);
}

/** The counters as log fields for machines: numbers stay numbers (share is each worker's fraction, 0..1). */
export function statsFields(stats: ServerStats): object {
  return {
    requests: stats.total.requests,
    replies: stats.total.replies,
    errors: errorCounts(stats.total),
    share: stats.share,
    workerDeaths: stats.workerDeaths,
    serving: stats.serving,
    refusals: stats.refusals,
  };
}

/** The counters as one line for people. */
export function statsLine(stats: ServerStats): string {
  const errors = Object.entries(errorCounts(stats.total))
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  const share = stats.share.map((s, i) => `w${i} ${(s * 100).toFixed(0)}%`).join(" ");
  const { accepted: _accepted, ...refused } = stats.refusals;
  const refusals = Object.entries(refused)
    .filter(([, n]) => n > 0)
    .map(([name, n]) => `${name} ${n}`);
  return (
    `requests ${stats.total.requests}, replies ${stats.total.replies}, ` +
    `errors ${errors.length === 0 ? "none" : errors.join(", ")}; share ${share}; worker deaths ${stats.workerDeaths}` +
    `; refusals ${refusals.length === 0 ? "none" : refusals.join(", ")}`
  );
}
