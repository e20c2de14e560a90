import { createServer } from "node:net";

/** The loopback address every test binds (never a routable one, never a default port). */
export const LOOPBACK = "127.0.0.1";

/**
 * A TCP port on `host` that nobody listened on a moment ago: for programs that must be told an explicit
 * port (a server's `--bind`, a peer written in C or Python). Sockets that accept `tcp://127.0.0.1:*`
 * should bind that instead, which cannot race.
 */
export function freePort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
