// How frames move between a front ROUTER and its backend DEALER. `proxy` (the default) is libzmq's
// zmq_proxy, run by zeromq.js on one of libuv's pool threads: no JS runs per message. `js` is the same job
// in two loops on the main thread: slower (see the README, "Proxy or JS forwarding"), but it sees every reply
// a client could not take, and counts it (reply-drops.ts), where the proxy cannot.
import * as zmq from "zeromq";
import type { ReplyDrops } from "./reply-drops.js";
import type { Forwarder } from "./settings.js";
import { settlesWithin } from "./settles-within.js";

/** A running forwarder between one front and its backend. */
export interface Forwarding {
  /** Settles when forwarding ends: after stop(), or on its own (the proxy died). */
  readonly ended: Promise<void>;
  /** Stops forwarding; both sockets are closed once it resolves (bounded: about STOP_TIMEOUT_MS + SINK_MS at most). */
  stop(): Promise<void>;
}

/**
 * How long a terminated proxy may take to notice before a sink starts reading its backend: libzmq's proxy
 * sees terminate() only between forwards, so one blocked sending to a backend nobody reads never would.
 */
const STOP_TIMEOUT_MS = 500;
/** How long the sink reads at most (the proxy then is stuck for another reason; we stop waiting). */
const SINK_MS = 2000;

/**
 * Starts forwarding between `front` and `back` (bound at `backendAddress`) with the given forwarder.
 */
export function startForwarding(
  kind: Forwarder,
  front: zmq.Router,
  back: zmq.Dealer,
  backendAddress: string,
  drops: ReplyDrops,
): Forwarding {
  return kind === "js" ? forwardInJs(front, back, drops) : runProxy(front, back, backendAddress);
}

/**
 * Reads and drops what `address` (a backend) holds until `ended` settles or SINK_MS pass: unblocks a proxy
 * stuck sending to a backend whose workers are gone. What it drops are requests no worker took.
 */
async function sinkUntil(address: string, ended: Promise<unknown>): Promise<void> {
  const sink = new zmq.Dealer({ linger: 0, receiveTimeout: 50 });
  sink.connect(address);
  let done = false;
  void ended.then(() => (done = true));
  const deadline = performance.now() + SINK_MS;
  while (!done && performance.now() < deadline) {
    try {
      await sink.receive();
    } catch {
      // Nothing to read within 50 ms: check whether the proxy is done.
    }
  }
  sink.close();
}

function runProxy(front: zmq.Router, back: zmq.Dealer, backendAddress: string): Forwarding {
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
      if (!(await settlesWithin(ended, STOP_TIMEOUT_MS)))
        await sinkUntil(
          backendAddress,
          ended.catch(() => undefined),
        );
    },
  };
}

function forwardInJs(front: zmq.Router, back: zmq.Dealer, drops: ReplyDrops): Forwarding {
  let stopping = false;
  // Requests wait for a worker queue with room (the backend's send HWM): backpressure, nothing dropped.
  const requests = async (): Promise<void> => {
    try {
      for (;;) await back.send(await front.receive());
    } catch (error) {
      if (!stopping) throw error;
    }
  };
  // Replies never wait: a client that cannot take one now loses it, counted (reply-drops.ts).
  front.mandatory = true;
  front.sendTimeout = 0;
  const replies = async (): Promise<void> => {
    try {
      for (;;) {
        const frames = await back.receive();
        try {
          await front.send(frames);
        } catch (error) {
          if (!drops.record(error, frames)) throw error;
        }
      }
    } catch (error) {
      if (!stopping) throw error;
    }
  };
  const ended = Promise.all([requests(), replies()]).then(() => undefined);
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
