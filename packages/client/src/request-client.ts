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
import { ServerChoice } from "./server-choice.js";
import { clientCurveOptions, CurveGuard } from "./curve.js";
import { BadReplyError, ClosedError, TimeoutError } from "./errors.js";
import { CLIENT_DEFAULTS, endpointsOf, stripUndefined, type RequestOptions } from "./options.js";
import { envelopeRemoteError, isUnavailable, type RemoteErrorOf } from "./remote.js";
import { Slots } from "./slots.js";

export type { RequestOptions } from "./options.js";

export interface RequestClientOptions<T = Envelope> {
  /** The REP/ROUTER endpoint to connect to. Default: DEFAULT_ENDPOINTS.reply (tcp://127.0.0.1:5555). */
  endpoint?: string;
  /**
   * Several servers of one service, instead of `endpoint` (the zguide's Freelance pattern, one REQ socket per
   * server): requests go round-robin over the servers; a server whose request timed out (or was refused
   * CODE_UNAVAILABLE) sits out a back-off (`CLIENT_DEFAULTS.failover`) and the retry goes to another; it gets
   * requests again once its back-off ends.
   */
  endpoints?: string[];
  /** How requests are encoded and replies decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Per-attempt reply timeout in ms. Default 1000. */
  timeoutMs?: number;
  /** Attempts after the first one times out or is answered CODE_UNAVAILABLE. Default 2 (3 attempts in all). */
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
  /** The first (or only) server. */
  readonly endpoint: string;
  /** Every server requests are spread over. */
  readonly endpoints: readonly string[];
  private readonly options: Required<Pick<RequestClientOptions<T>, "timeoutMs" | "retries">> & RequestClientOptions<T>;
  private readonly turn = new Slots(1);
  private readonly remoteError: RemoteErrorOf<T> | null;
  private readonly curve: CurveSocketOptions;
  /** One REQ socket per server, opened on first use and dropped after a timeout; each with its CURVE guard. */
  private readonly requesters: Array<Requester<T> | undefined>;
  private readonly guards: Array<CurveGuard | undefined>;
  private readonly choice: ServerChoice;
  /** Why the last attempt may have timed out (a CURVE handshake that never completed), for the TimeoutError. */
  private hint = "";
  private readonly codec: Codec<T>;
  private closed = false;

  constructor(...[options = {}]: OptionsFor<T, RequestClientOptions<T>>) {
    this.codec = codecOrDefault(options.codec);
    this.endpoints = endpointsOf(options, CLIENT_DEFAULTS.endpoints.reply);
    this.endpoint = this.endpoints[0]!;
    this.options = {
      timeoutMs: CLIENT_DEFAULTS.timeoutMs,
      retries: CLIENT_DEFAULTS.retries,
      ...stripUndefined(options),
    };
    this.remoteError = options.remoteError === undefined ? envelopeRemoteError : options.remoteError;
    this.curve = clientCurveOptions(options.curve);
    this.requesters = this.endpoints.map(() => undefined);
    this.guards = this.endpoints.map(() => undefined);
    this.choice = new ServerChoice(this.endpoints.length, CLIENT_DEFAULTS.failover.backOff);
  }

  /**
   * Sends `message` and resolves with the reply. Rejects with TimeoutError after 1 + retries silent
   * attempts, RemoteError for an ErrorReply (a CODE_UNAVAILABLE one only once the retries are spent),
   * BadReplyError for undecodable bytes, HandshakeError when the server refuses this client's CURVE key,
   * AbortedError, ClosedError.
   */
  async request(message: T, options: RequestOptions = {}): Promise<T> {
    if (this.closed) throw new ClosedError("request client");
    this.stats.requests++;
    await this.turn.acquire(options.signal);
    try {
      return await this.attempts(message, options);
    } finally {
      this.turn.release();
    }
  }

  /** Closes the socket; pending and later requests reject with ClosedError. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.turn.rejectWaiters(new ClosedError("request client"));
    for (let server = 0; server < this.requesters.length; server++) this.dropSocket(server);
  }

  private async attempts(message: T, options: RequestOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const retries = options.retries ?? this.options.retries;
    let server: number | undefined;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new ClosedError("request client");
      server = this.choice.next(server);
      const reply = await this.attempt(server, message, timeoutMs, options.signal);
      if (reply !== TIMED_OUT) {
        this.stats.replies++;
        const remote = this.remoteError?.(reply);
        if (remote === undefined) {
          this.choice.answered(server);
          return reply;
        }
        // "Not served here": another server (or this one, later) may serve it, if the caller allows a retry.
        if (!isUnavailable(remote)) {
          this.choice.answered(server);
          throw remote;
        }
        this.choice.failed(server);
        if (attempt > retries) throw remote;
      } else {
        this.choice.failed(server);
        this.stats.timeouts++;
        if (attempt > retries) {
          this.stats.failures++;
          throw new TimeoutError(
            `no reply from ${this.endpoints.join(", ")} within ${timeoutMs} ms (${attempt} attempt${attempt === 1 ? "" : "s"})${this.hint}`,
            attempt,
            timeoutMs,
          );
        }
      }
      this.options.onRetry?.(attempt + 1);
    }
  }

  // One send + receive raced against the timeout and the signal; anything but a reply resets the socket.
  private async attempt(
    server: number,
    message: T,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<T | typeof TIMED_OUT> {
    const requester = this.socket(server);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, timeoutMs, TIMED_OUT)));
    const aborted = whenAborted(signal);
    const refused = this.guards[server]?.whenRefused();
    const exchange = requester.request(message);
    try {
      const racers = [exchange, timeout, aborted.promise];
      if (refused) racers.push(refused.promise);
      const received = await Promise.race(racers);
      if (received === TIMED_OUT) {
        this.hint = this.guards[server]?.timeoutHint() ?? "";
        this.dropSocket(server);
        return TIMED_OUT;
      }
      if (received === undefined) throw new ClosedError("request client");
      if (!received.ok) throw new BadReplyError(received.error);
      return received.message;
    } catch (error) {
      // Whatever went wrong mid-request, this REQ socket is no longer at a clean send/receive boundary.
      this.dropSocket(server);
      throw error;
    } finally {
      clearTimeout(timer);
      aborted.dispose();
      refused?.dispose();
      exchange.catch(() => {}); // settles (undefined or CLOSED) once its socket is closed
    }
  }

  private socket(server: number): Requester<T> {
    let requester = this.requesters[server];
    if (requester === undefined) {
      requester = new Requester<T>({
        linger: CLIENT_DEFAULTS.linger,
        ...this.options.socket,
        ...this.curve,
        codec: this.codec,
      });
      const endpoint = this.endpoints[server]!;
      // Watch before connecting, so the first handshake is seen.
      if (this.curve.curvePublicKey !== undefined)
        this.guards[server] = new CurveGuard(requester, endpoint, this.curve.curvePublicKey);
      requester.connect(endpoint);
      this.requesters[server] = requester;
    }
    return requester;
  }

  private dropSocket(server: number): void {
    this.guards[server]?.close();
    this.guards[server] = undefined;
    this.requesters[server]?.close();
    this.requesters[server] = undefined;
  }
}

const TIMED_OUT = Symbol("timed out");
