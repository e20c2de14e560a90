import { InvalidArgumentError, Option } from "commander";
import { CLIENT_DEFAULTS } from "../options.js";
import { endpointArgument } from "./endpoint.js";

/** Parses a non-negative integer flag value, rejecting junk with commander's usage error. */
export function count(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

/** Parses a positive integer flag value. */
export function positive(value: string): number {
  const n = count(value);
  if (n < 1) throw new InvalidArgumentError("must be at least 1");
  return n;
}

/** Parses a non-negative number (rates may be fractional). */
export function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("must be a non-negative number");
  return n;
}

/** --endpoint with its default shown in --help, checked for its form as it is parsed (`bind` allows `*` and port 0). */
export function endpointOption(defaultEndpoint: string, what: string, options: { bind?: boolean } = {}): Option {
  return new Option("-e, --endpoint <endpoint>", what)
    .default(defaultEndpoint)
    .argParser(endpointArgument(options.bind ?? false));
}

/**
 * --endpoint for commands that spread requests over several servers: repeat `-e` to give each one (the
 * default applies only when none is given).
 */
export function endpointsOption(defaultEndpoint: string, what: string): Option {
  const defaults = [defaultEndpoint];
  const checked = endpointArgument(false);
  return new Option("-e, --endpoint <endpoint>", `${what}; repeat for several servers of one service`)
    .default(defaults, defaultEndpoint)
    .argParser((value: string, previous: string[]) => {
      const endpoint = checked(value);
      return previous === defaults ? [endpoint] : [...previous, endpoint];
    });
}

/** --json: NDJSON on stdout (events, then a summary). */
export const jsonOption = (): Option =>
  new Option("--json", "print one JSON object per line (events, then a summary) for scripts");

/** --no-progress: no progress bar or lines on stderr. */
export const progressOption = (): Option =>
  new Option("--no-progress", "do not show progress on stderr during long runs");

/** Every command's common flags, as parsed. */
export interface CommonFlags {
  endpoint: string;
  json?: boolean;
  progress: boolean;
}

/** `-t, --timeout`: how long the request commands (ping, echo) wait for each reply before retrying. */
export const timeoutOption = (): Option =>
  new Option("-t, --timeout <ms>", "reply timeout per attempt").default(CLIENT_DEFAULTS.timeoutMs).argParser(positive);

/** `-r, --retries`: Lazy Pirate retries of the request commands (ping, echo) before they give up. */
export const retriesOption = (): Option =>
  new Option("-r, --retries <n>", "retries after a timeout before giving up")
    .default(CLIENT_DEFAULTS.retries)
    .argParser(count);
