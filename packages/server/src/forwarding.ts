// How frames move between a front ROUTER and its backend DEALER. `proxy` (the default) is libzmq's
// zmq_proxy, run by zeromq.js on one of libuv's pool threads: no JS runs per message. `js` is the same job
// in two loops on the main thread: slower (see the README, "Proxy or JS forwarding"), kept to measure against.
import * as zmq from "zeromq";
import type { Forwarder } from "./settings.js";

/** A running forwarder between one front and its backend. */
export interface Forwarding {
  /** Settles when forwarding ends: after stop(), or on its own (the proxy died). */
  readonly ended: Promise<void>;
  /** Stops forwarding; both sockets are closed once it resolves (waits at most STOP_TIMEOUT_MS). */
  stop(): Promise<void>;
}

/** Bound on waiting for a terminated proxy's run() to settle. */
const STOP_TIMEOUT_MS = 2000;

/** Starts forwarding between `front` and `back` with the given forwarder. */
export function startForwarding(kind: Forwarder, front: zmq.Router, back: zmq.Dealer): Forwarding {
  return kind === "js" ? forwardInJs(front, back) : runProxy(front, back);
}

function runProxy(front: zmq.Router, back: zmq.Dealer): Forwarding {
  const proxy = new zmq.Proxy(front, back);
  const ended = proxy.run();
  return {
    ended,
    async stop() {
      try {
        // The proxy closes both sockets when its run() ends.
        proxy.terminate();
      } catch {
        // Already terminated (its sockets are closed): nothing left to stop.
      }
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
      await Promise.race([ended.catch(() => undefined), bound]);
      clearTimeout(timer);
    },
  };
}

function forwardInJs(front: zmq.Router, back: zmq.Dealer): Forwarding {
  let stopping = false;
  const pump = async (from: zmq.Router | zmq.Dealer, to: zmq.Router | zmq.Dealer): Promise<void> => {
    try {
      for (;;) await to.send(await from.receive());
    } catch (error) {
      if (!stopping) throw error;
    }
  };
  const ended = Promise.all([pump(front, back), pump(back, front)]).then(() => undefined);
  return {
    ended,
    async stop() {
      stopping = true;
      front.close();
      back.close();
      await ended.catch(() => undefined);
    },
  };
}
