import { curveClientOptions, HandshakeWatch, type CurveClientKeys, type CurveSocketOptions } from "@zpb/transport";
import { HandshakeError } from "./errors.js";

/** Socket options for a client's `curve` option (files read once, here), or none without it. */
export function clientCurveOptions(curve: CurveClientKeys | undefined): CurveSocketOptions {
  return curve === undefined ? {} : curveClientOptions(curve);
}

/** A zpb socket a client owns (Requester, Dealer, Subscriber). */
type ClientSocket = Extract<ConstructorParameters<typeof HandshakeWatch>[0], { socket: unknown }>;

/**
 * Watches a client socket's CURVE handshakes so a refused client fails fast: libzmq reports a ZAP refusal
 * or a mechanism mismatch through the socket monitor, and does not retry that connection by itself, so
 * waiting out a timeout would only hide why. Other failures (e.g. a wrong server key: the server just
 * hangs up) are not conclusive, so they only feed the hint a timeout carries.
 */
export class CurveGuard {
  /** The refusal in force: set on a conclusive failure, cleared once a handshake succeeds. */
  error: HandshakeError | undefined;
  private readonly watch: HandshakeWatch;
  private readonly waiters = new Set<(error: HandshakeError) => void>();
  private retry: NodeJS.Timeout | undefined;

  constructor(
    socket: ClientSocket,
    private readonly endpoint: string,
    private readonly publicKey: string,
    /** Called on each conclusive failure (fail what is waiting). */
    onRefused: (error: HandshakeError) => void = () => {},
    /**
     * Reconnect this long after a conclusive failure, so a key authorized meanwhile gets in without a new
     * client (0: never; the Lazy Pirate client opens a fresh socket per attempt anyway).
     */
    retryMs = 0,
  ) {
    this.watch = new HandshakeWatch(socket, (failure) => {
      if (failure.kind === "other") return;
      const error = new HandshakeError(failure, publicKey);
      this.error = error;
      for (const reject of [...this.waiters]) reject(error);
      onRefused(error);
      if (retryMs > 0 && this.retry === undefined && !socket.closed) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          if (socket.closed) return;
          socket.disconnect(endpoint);
          socket.connect(endpoint);
        }, retryMs).unref();
      }
    });
    this.watch.onSucceeded = () => {
      this.error = undefined;
    };
  }

  /** A promise that rejects with the next conclusive failure (at once if one is in force), and a dispose. */
  whenRefused(): { promise: Promise<never>; dispose: () => void } {
    if (this.error !== undefined) return { promise: Promise.reject(this.error), dispose: () => {} };
    let dispose = () => {};
    const promise = new Promise<never>((_, reject) => {
      this.waiters.add(reject);
      dispose = () => this.waiters.delete(reject);
    });
    return { promise, dispose };
  }

  /** A sentence for a timeout message when no CURVE handshake has completed, else "". */
  timeoutHint(): string {
    if (this.watch.succeeded > 0 && this.error === undefined) return "";
    const last = this.watch.lastFailure;
    const seen = last ? `; the last handshake failed with ${last.reason}` : "";
    return ` (no CURVE handshake with ${this.endpoint} completed${seen}: check the server key, and that the server authorizes this client's public key ${this.publicKey})`;
  }

  close(): void {
    clearTimeout(this.retry);
    this.watch.close();
  }
}
