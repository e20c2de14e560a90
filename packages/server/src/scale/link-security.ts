// The one place where the link between a front and its joined hosts gets its security options.
//
// Today the link is plain tcp: bind `--backend` to an address only your worker hosts can reach. When the
// server has a CURVE key (the curve settings, issue 10), this is where they apply: the front's backend ROUTER
// becomes a CURVE server with the server's secret key and a ZAP allow-list of worker keys of its own, and
// each joined host connects as a CURVE client with its own key pair and the front's public key. Nothing else
// in the broker or the joiner changes: both take these options as they are.
import type * as zmq from "zeromq";
import type { ServerSettings } from "../settings.js";

/** Options for the front's backend ROUTER (where hosts join). */
export function backendSecurity(_settings: ServerSettings): ConstructorParameters<typeof zmq.Router>[0] {
  return {};
}

/** Options for a joined host's DEALER to the front. */
export function uplinkSecurity(_settings: ServerSettings): ConstructorParameters<typeof zmq.Dealer>[0] {
  return {};
}
