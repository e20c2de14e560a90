import * as zmq from "zeromq";
import type { BaseSocket } from "../base.js";

/** A security handshake that failed, as libzmq's socket monitor reports it (ZMQ_EVENT_HANDSHAKE_FAILED_*). */
export interface HandshakeFailure {
  /**
   * "refused": the server's ZAP handler turned this client away (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
   * "protocol": the peers could not agree (ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: e.g. one side uses CURVE and
   * the other does not, or a key does not decrypt); "other": libzmq gave no detail.
   */
  kind: "refused" | "protocol" | "other";
  /** The peer's endpoint. */
  address: string;
  /** The ZAP status code for "refused" (300 temporary, 400 denied, 500 server error). */
  status?: number;
  /** libzmq's reason, e.g. ERR_ZMTP_MECHANISM_MISMATCH, ERR_ZMTP_CRYPTOGRAPHIC. */
  reason: string;
}

/**
 * Watches a socket's security handshakes through its monitor (zeromq.js `socket.events`): counts the ones
 * that succeeded and reports each failure as it happens, so a client can fail fast instead of waiting out
 * its timeout. Ends with the socket (or close()).
 */
export class HandshakeWatch {
  /** Handshakes completed since the watch began. */
  succeeded = 0;
  /** Failures since the watch began, and the most recent one. */
  failed = 0;
  lastFailure: HandshakeFailure | undefined;
  /** Called on each completed handshake. */
  onSucceeded: () => void = () => {};
  private readonly observer: zmq.Observer;
  private readonly detach: Array<() => void> = [];

  constructor(socket: zmq.Socket | BaseSocket<zmq.Socket>, onFailure: (failure: HandshakeFailure) => void = () => {}) {
    this.observer = (socket instanceof zmq.Socket ? socket : socket.socket).events;
    const report = (failure: HandshakeFailure) => {
      this.failed++;
      this.lastFailure = failure;
      onFailure(failure);
    };
    this.listen("handshake", () => {
      this.succeeded++;
      this.onSucceeded();
    });
    this.listen("handshake:error:auth", (event) =>
      report({
        kind: "refused",
        address: event.address,
        status: event.error.status,
        reason: event.error.message || `ZAP status ${event.error.status}`,
      }),
    );
    this.listen("handshake:error:protocol", (event) =>
      report({ kind: "protocol", address: event.address, reason: event.error.code ?? event.error.message }),
    );
    this.listen("handshake:error:other", (event) =>
      report({ kind: "other", address: event.address, reason: event.error.code ?? event.error.message }),
    );
  }

  private listen<E extends zmq.EventType>(type: E, listener: (event: zmq.EventOfType<E>) => void): void {
    this.observer.on(type, listener);
    this.detach.push(() => this.observer.off(type, listener));
  }

  /**
   * Stops reporting. The monitor itself ends with the socket: zeromq.js's event loop leaves the promise of
   * an explicitly closed observer unhandled, so it is never closed here.
   */
  close(): void {
    for (const detach of this.detach.splice(0)) detach();
  }
}

/** A failure as one line for people: what happened and what to check. */
export function describeHandshakeFailure(failure: HandshakeFailure): string {
  switch (failure.kind) {
    case "refused":
      return `the server at ${failure.address} refused this client's CURVE key (ZAP status ${failure.status ?? "?"}): ask its operator to authorize the client's public key`;
    case "protocol":
      return failure.reason === "ERR_ZMTP_MECHANISM_MISMATCH"
        ? `security mismatch with ${failure.address}: one side uses CURVE and the other does not (give or drop the server key)`
        : `CURVE handshake with ${failure.address} failed (${failure.reason}): is the server key right?`;
    default:
      return `security handshake with ${failure.address} failed (${failure.reason})`;
  }
}
