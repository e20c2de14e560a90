import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { parseEndpoint, TransportError } from "@zpb/transport";
import { InvalidArgumentError } from "commander";
import { CommandFailure } from "./failure.js";

/** A DNS lookup that takes longer than this is reported instead of waited out. */
const LOOKUP_TIMEOUT_MS = 5000;

/** commander's parser for --endpoint: a malformed endpoint is a usage error before anything is sent. */
export function endpointArgument(bind: boolean): (value: string) => string {
  return (value) => {
    try {
      parseEndpoint(value, { bind });
    } catch (error) {
      if (error instanceof TransportError) throw new InvalidArgumentError(error.message);
      throw error;
    }
    return value;
  };
}

/**
 * Resolves a tcp endpoint's host name before connecting: libzmq would retry an unknown host forever without a
 * word, and the command would report "unreachable or silent" only after its retries.
 */
export async function checkHostResolves(endpoint: string): Promise<void> {
  const parsed = parseEndpoint(endpoint);
  if (parsed.transport !== "tcp" || isIP(parsed.host) !== 0) return;
  const host = parsed.host;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CommandFailure(
            `cannot resolve host "${host}" (${endpoint}): no DNS answer within ${LOOKUP_TIMEOUT_MS} ms`,
          ),
        ),
      LOOKUP_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([lookup(host), timeout]);
  } catch (error) {
    if (error instanceof CommandFailure) throw error;
    const code = (error as { code?: string }).code ?? String(error);
    throw new CommandFailure(
      `cannot resolve host "${host}" (${endpoint}): ${code}; check the name or give an IP address`,
    );
  } finally {
    clearTimeout(timer);
  }
}
