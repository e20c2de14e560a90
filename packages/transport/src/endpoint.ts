import { isIP } from "node:net";
import { TransportError } from "./errors.js";

/** An endpoint split into its parts; `host` and `port` only for tcp. */
export type ParsedEndpoint =
  | { transport: "tcp"; host: string; port: number | "*"; endpoint: string }
  | { transport: "ipc" | "inproc"; path: string; endpoint: string }
  /** A transport zpb does not check (ws, pgm …): `scheme` names it. */
  | { transport: "other"; scheme: string; address: string; endpoint: string };

/** The forms zpb's sockets take, for error messages. */
export const ENDPOINT_FORMS = "tcp://HOST:PORT (e.g. tcp://127.0.0.1:5555), ipc://PATH or inproc://NAME";

/**
 * Checks an endpoint's form before it reaches libzmq, which accepts `tcp://127.0.0.1:70000` and unknown hosts
 * on connect and then retries forever in silence. `bind` allows what only binding means: host `*` (every
 * interface) and port `*` or 0 (a free port). Throws TransportError "INVALID_ENDPOINT", naming the expected
 * form. Transports other than tcp/ipc/inproc (ws, pgm …) pass through to libzmq unchecked.
 */
export function parseEndpoint(endpoint: string, options: { bind?: boolean } = {}): ParsedEndpoint {
  const bind = options.bind ?? false;
  const invalid = (why: string) =>
    new TransportError("INVALID_ENDPOINT", `invalid endpoint "${endpoint}": ${why}; expected ${ENDPOINT_FORMS}`);
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(endpoint);
  if (match === null) throw invalid("no transport (tcp://, ipc://, inproc://)");
  const transport = match[1]!.toLowerCase();
  const rest = match[2]!;
  if (transport === "ipc" || transport === "inproc") {
    if (rest === "") throw invalid(`${transport}:// needs a ${transport === "ipc" ? "path" : "name"}`);
    return { transport, path: rest, endpoint };
  }
  if (transport !== "tcp") return { transport: "other", scheme: transport, address: rest, endpoint };

  // tcp://[source;]host:port — the part after ';' is the peer (libzmq's source-address form).
  const target = rest.slice(rest.lastIndexOf(";") + 1);
  const colon = target.lastIndexOf(":");
  if (colon < 0) throw invalid("no port");
  const rawHost = target.slice(0, colon);
  const rawPort = target.slice(colon + 1);
  const host = rawHost.startsWith("[") && rawHost.endsWith("]") ? rawHost.slice(1, -1) : rawHost;
  if (host === "") throw invalid("no host");
  if (host === "*" && !bind) throw invalid('host "*" means every interface: it can be bound, not connected to');
  if (rawHost.startsWith("[") && isIP(host) !== 6) throw invalid(`"${rawHost}" is not an IPv6 address`);
  if (bind && rawPort === "*") return { transport, host, port: "*", endpoint };
  if (!/^\d+$/.test(rawPort)) throw invalid(`port "${rawPort}" is not a number`);
  const port = Number(rawPort);
  const lowest = bind ? 0 : 1;
  if (port < lowest || port > 65535) throw invalid(`port ${rawPort} is outside ${lowest}-65535`);
  return { transport, host, port, endpoint };
}
