// Which endpoints only this host can reach: the test behind the server's refusal to serve plaintext to the
// network (see the curveKey and insecure settings).

const LOOPBACK_HOSTS = new Set(["localhost", "lo", "::1", "[::1]"]);

/**
 * True for an endpoint only this host can reach: `inproc://`, `ipc://`, and tcp on 127.0.0.0/8, ::1,
 * `localhost` or the `lo` interface. Everything else — `*`, `0.0.0.0`, an address, a host or interface
 * name, other transports — may be reachable from other hosts.
 */
export function isLoopbackEndpoint(endpoint: string): boolean {
  const match = /^([a-z0-9+.-]+):\/\/(.*)$/i.exec(endpoint.trim());
  if (match === null) return false;
  const [, transport = "", address = ""] = match;
  if (transport === "inproc" || transport === "ipc") return true;
  if (transport !== "tcp" && transport !== "ws") return false;
  // tcp://[source;]host:port — a source address does not change who can reach the bound host.
  const hostPort = address.includes(";") ? address.slice(address.indexOf(";") + 1) : address;
  const host = hostPort.replace(/:[^:\]]*$/, "").toLowerCase();
  if (LOOPBACK_HOSTS.has(host)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
