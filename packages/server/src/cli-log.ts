import pino from "pino";
import pretty from "pino-pretty";

/** How the CLI prints: `pretty` for people (the default), `json` (one pino object per line) for machines. */
export type LogFormat = "pretty" | "json";

/**
 * The CLI's pino logger on stdout. Pretty output is formatted synchronously in this thread (no transport
 * worker thread), so the lines are out before the process exits.
 */
export function createLogger(format: LogFormat, level = "info"): pino.Logger {
  if (format === "json") return pino({ level, base: { pid: process.pid } }, pino.destination({ sync: true }));
  const stream = pretty({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname",
    // People read the message; the fields stay in --log-format json.
    hideObject: true,
  });
  return pino({ level, base: undefined }, stream);
}
