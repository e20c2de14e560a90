import { isIP } from "node:net";

/** A TCP address to listen on for HTTP (the metrics endpoint). */
export interface HttpAddress {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * Parses `host:port` (`[::1]:9464` for IPv6; port 0 picks a free one). Throws an Error that names the form,
 * for the settings registry to report.
 */
export function parseHttpAddress(text: string): HttpAddress {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(text.trim());
  const form = "expected HOST:PORT, e.g. 127.0.0.1:9464 (loopback keeps it private) or [::1]:9464";
  if (match === null) throw new Error(`"${text}" is not an address: ${form}`);
  const rawHost = match[1]!;
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  if (rawHost.startsWith("[") && isIP(host) !== 6) throw new Error(`"${rawHost}" is not an IPv6 address: ${form}`);
  const port = Number(match[2]);
  if (port > 65535) throw new Error(`port ${port} is outside 0-65535: ${form}`);
  return { host, port };
}

/** `host:port` with brackets around an IPv6 host, as in a URL. */
export function formatHttpAddress({ host, port }: HttpAddress): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
