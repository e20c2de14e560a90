// The CLI's own settings (how zpb-server logs), in the same form as SERVER_SETTINGS: flag, ZPB_* variable,
// default, check and doc line in one place.
import { integer, oneOf, type ResolvedOf } from "./setting.js";

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const CLI_SETTINGS = {
  /** Log the counters every this many ms while they change; 0 = only on SIGUSR2. */
  statsInterval: integer({
    flag: "--stats-interval <ms>",
    doc: "log the counters every interval while they change; `0` = only on `SIGUSR2`",
    default: 10_000,
    min: 0,
  }),
  /** Log lines for people (pretty) or for machines (json, one pino object per line). */
  logFormat: oneOf({
    flag: "--log-format <format>",
    doc: "one readable line per event, or one pino JSON object per line",
    default: "pretty",
    choices: ["pretty", "json"] as const,
  }),
  /** The least severe level logged (pino's levels). */
  logLevel: oneOf({
    flag: "--log-level <level>",
    doc: "the least severe level logged",
    default: "info",
    choices: LOG_LEVELS,
  }),
};

/** The CLI's settings, resolved. */
export type CliSettings = ResolvedOf<typeof CLI_SETTINGS>;
