// What happens to the front ROUTER's connections, counted and logged: accepts that fail (usually: out of
// file descriptors), handshakes that fail or time out (half-open connections, wrong protocol), peers dropped
// for missing heartbeats. libzmq reports these only through its socket monitor (zmq_socket_monitor), which
// must be set up before zmq_proxy takes the socket.
import type * as zmq from "zeromq";
import type { Logger } from "./log.js";
import { RateLimitedLog } from "./rate-limited-log.js";
import { emptyRefusals, type RefusalCounters } from "./stats.js";

/** What one front counts (main thread only): the connection and reply counters of RefusalCounters. */
export type FrontCounters = Omit<RefusalCounters, "stalls" | "heapLimit" | "curveClients" | "curveHosts">;

/** Zeroed front counters. */
export function emptyFrontCounters(): FrontCounters {
  const {
    stalls: _stalls,
    heapLimit: _heapLimit,
    curveClients: _clients,
    curveHosts: _hosts,
    ...front
  } = emptyRefusals();
  return front;
}

/**
 * Watches one front socket's events until it closes. Refusals (failed accepts and handshakes) are logged
 * at most once per interval each.
 */
export class FrontEvents {
  private readonly observer: zmq.Observer;
  private readonly acceptLog: RateLimitedLog;
  private readonly handshakeLog: RateLimitedLog;

  constructor(
    socket: zmq.Socket,
    private readonly counters: FrontCounters,
    private readonly service: string,
    logger: Logger,
  ) {
    this.acceptLog = new RateLimitedLog(logger);
    this.handshakeLog = new RateLimitedLog(logger);
    this.observer = socket.events;
    // Our own loop rather than observer.on(): zeromq's emitter loop rejects unhandled (and ends the
    // process) when the socket is closed under it, which is how zmq_proxy ends.
    void this.watch();
  }

  private async watch(): Promise<void> {
    const { counters, service } = this;
    try {
      while (!this.observer.closed) {
        const event = await this.observer.receive();
        switch (event.type) {
          case "accept":
            counters.accepted++;
            break;
          case "disconnect":
            counters.disconnects++;
            break;
          case "accept:error":
            counters.acceptFailures++;
            this.acceptLog.warn(
              { service, address: event.address, error: event.error.message, acceptFailures: counters.acceptFailures },
              `${service}: accepting a connection failed (${event.error.message}); clients are being turned away — raise the open-file limit`,
            );
            break;
          case "handshake:error:protocol":
          case "handshake:error:auth":
          case "handshake:error:other":
            counters.handshakeFailures++;
            this.handshakeLog.warn(
              {
                service,
                address: event.address,
                error: event.error.message,
                handshakeFailures: counters.handshakeFailures,
              },
              `${service}: a connection was dropped before finishing its handshake (${event.error.message})`,
            );
            break;
          case "end":
            return;
          default:
            break;
        }
      }
    } catch {
      // The socket (and with it the monitor) was closed: nothing more to watch.
    }
  }

  /**
   * Stops watching, once the socket is closed (which normally closes the monitor itself): no receive may be
   * left pending at exit. While zmq_proxy holds the socket the monitor cannot be turned off (ENOTSOCK).
   */
  close(): void {
    try {
      if (!this.observer.closed) this.observer.close();
    } catch {
      // The socket is gone already, and its monitor with it.
    }
  }
}
