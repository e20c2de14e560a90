import type { Codec, Envelope } from "@zpb/proto";
import {
  Requester,
  type CurveClientKeys,
  type CurveSocketOptions,
  type OptionsFor,
  type SocketOptions,
} from "@zpb/transport";
import { codecOrDefault } from "@zpb/transport/internal";
import { whenAborted } from "./abort.js";
import { clientCurveOptions, CurveGuard } from "./curve.js";
import { BadReplyError, ClosedError, TimeoutError } from "./errors.js";
import { CLIENT_DEFAULTS, stripUndefined, type CallOptions } from "./options.js";
import { envelopeRemoteError, type RemoteErrorOf } from "./remote.js";
import { Slots } from "./slots.js";

export interface RequestClientOptions<T = Envelope> {
  /** The REP/ROUTER endpoint to connect to. Default: DEFAULT_ENDPOINTS.reply (tcp://127.0.0.1:5555). */
  endpoint?: string;
  /** How requests are encoded and replies decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Per-attempt reply timeout in ms. Default 1000. */
  timeoutMs?: number;
  /** Attempts after the first one times out. Default 2 (3 attempts in all). */
  retries?: number;
  /** Maps a reply to the error it reports (default: Envelope ErrorReply → RemoteError); null turns it off. */
  remoteError?: RemoteErrorOf<T> | null;
  /** libzmq options for every socket the client opens (linger defaults to 0). */
  socket?: SocketOptions;
  /**
   * Encrypt with CURVE and authenticate to the server: its public key, and this client's key pair (keys as
   * Z85 text, or certificate files). A server that refuses the key fails the request with
   * HandshakeError "REFUSED" at once, without retries.
   */
  curve?: CurveClientKeys;
  /** Called before each retry with the attempt about to start (2, 3, …). */
  onRetry?: (attempt: number) => void;
}

/** Per-request options: a timeout per attempt, retries, and an AbortSignal. */
export interface RequestOptions extends CallOptions {
  /** Attempts after the first one times out; overrides the client's `retries`. */
  retries?: number;
}

/** Counters kept by a RequestClient. */
export interface RequestClientStats {
  /** Requests started. */
  requests: number;
  /** Requests answered. */
  replies: number;
  /** Attempts that timed out (each one closed its socket). */
  timeouts: number;
  /** Requests that failed with TimeoutError after every retry. */
  failures: number;
}

/**
 * A REQ client that never waits forever: the ZeroMQ guide's Lazy Pirate. Each attempt waits `timeoutMs`;
 * on timeout the REQ socket (stuck mid-request by design) is closed with linger 0 and a fresh one retries,
 * up to `retries` times, then the request fails with TimeoutError. Concurrent callers take turns.
 */
export class RequestClient<T = Envelope> {
  /** Live counters. */
  readonly stats: RequestClientStats = { requests: 0, replies: 0, timeouts: 0, failures: 0 };
  readonly endpoint: string;
  private readonly options: Required<Pick<RequestClientOptions<T>, "timeoutMs" | "retries">> & RequestClientOptions<T>;
  private readonly turn = new Slots(1);
  private readonly remoteError: RemoteErrorOf<T> | null;
  private readonly curve: CurveSocketOptions;
  private requester: Requester<T> | undefined;
  private guard: CurveGuard | undefined;
  /** Why the last attempt may have timed out (a CURVE handshake that never completed), for the TimeoutError. */
  private hint = "";
  private readonly codec: Codec<T>;
  private closed = false;

  constructor(...[options = {}]: OptionsFor<T, RequestClientOptions<T>>) {
    this.codec = codecOrDefault(options.codec);
    this.endpoint = options.endpoint ?? CLIENT_DEFAULTS.endpoints.reply;
    this.options = {
      timeoutMs: CLIENT_DEFAULTS.timeoutMs,
      retries: CLIENT_DEFAULTS.retries,
      ...stripUndefined(options),
    };
    this.remoteError = options.remoteError === undefined ? envelopeRemoteError : options.remoteError;
    this.curve = clientCurveOptions(options.curve);
  }

  /**
   * Sends `message` and resolves with the reply. Rejects with TimeoutError after 1 + retries silent
   * attempts, RemoteError for an ErrorReply, BadReplyError for undecodable bytes, HandshakeError when
   * the server refuses this client's CURVE key, AbortedError, ClosedError.
   */
  async request(message: T, options: RequestOptions = {}): Promise<T> {
    if (this.closed) throw new ClosedError("request client");
    this.stats.requests++;
    await this.turn.acquire(options.signal);
    try {
      const reply = await this.attempts(message, options);
      this.stats.replies++;
      const remote = this.remoteError?.(reply);
      if (remote !== undefined) throw remote;
      return reply;
    } finally {
      this.turn.release();
    }
  }

  /** Closes the socket; pending and later requests reject with ClosedError. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.turn.rejectWaiters(new ClosedError("request client"));
    this.dropSocket();
  }

  private async attempts(message: T, options: RequestOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const retries = options.retries ?? this.options.retries;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new ClosedError("request client");
      const reply = await this.attempt(message, timeoutMs, options.signal);
      if (reply !== TIMED_OUT) return reply;
      this.stats.timeouts++;
      if (attempt > retries) {
        this.stats.failures++;
        throw new TimeoutError(
          `no reply from ${this.endpoint} within ${timeoutMs} ms (${attempt} attempt${attempt === 1 ? "" : "s"})${this.hint}`,
          attempt,
          timeoutMs,
        );
      }
      this.options.onRetry?.(attempt + 1);
    }
  }

  // One send + receive raced against the timeout and the signal; anything but a reply resets the socket.
  private async attempt(message: T, timeoutMs: number, signal: AbortSignal | undefined): Promise<T | typeof TIMED_OUT> {
    const requester = this.socket();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, timeoutMs, TIMED_OUT)));
    const aborted = whenAborted(signal);
    const refused = this.guard?.whenRefused();
    const exchange = requester.request(message);
    try {
      const racers = [exchange, timeout, aborted.promise];
      if (refused) racers.push(refused.promise);
      const received = await Promise.race(racers);
      if (received === TIMED_OUT) {
        this.hint = this.guard?.timeoutHint() ?? "";
        this.dropSocket();
        return TIMED_OUT;
      }
      if (received === undefined) throw new ClosedError("request client");
      if (!received.ok) throw new BadReplyError(received.error);
      return received.message;
    } catch (error) {
      // Whatever went wrong mid-request, this REQ socket is no longer at a clean send/receive boundary.
      this.dropSocket();
      throw error;
    } finally {
      clearTimeout(timer);
      aborted.dispose();
      refused?.dispose();
      exchange.catch(() => {}); // settles (undefined or CLOSED) once its socket is closed
    }
  }

  private socket(): Requester<T> {
    if (this.requester === undefined) {
      const requester = new Requester<T>({
        linger: CLIENT_DEFAULTS.linger,
        ...this.options.socket,
        ...this.curve,
        codec: this.codec,
      });
      // Watch before connecting, so the first handshake is seen.
      if (this.curve.curvePublicKey !== undefined)
        this.guard = new CurveGuard(requester, this.endpoint, this.curve.curvePublicKey);
      requester.connect(this.endpoint);
      this.requester = requester;
    }
    return this.requester;
  }

  private dropSocket(): void {
    this.guard?.close();
    this.guard = undefined;
    this.requester?.close();
    this.requester = undefined;
  }
}

const TIMED_OUT = Symbol("timed out");
