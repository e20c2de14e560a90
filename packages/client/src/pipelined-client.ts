import { seqOf, type Codec, type Envelope } from "@zpb/proto";
import { Dealer, type OptionsFor, type SocketOptions } from "@zpb/transport";
import { codecOrDefault } from "@zpb/transport/internal";
import { whenAborted } from "./abort.js";
import { ClientError, ClosedError, TimeoutError } from "./errors.js";
import { CLIENT_DEFAULTS, stripUndefined, type CallOptions } from "./options.js";
import { envelopeRemoteError, type RemoteErrorOf } from "./remote.js";
import { Slots } from "./slots.js";

/** What pairs a reply with its request: equal keys match. undefined means "cannot be matched". */
export type RequestKey = string | number | bigint;

export interface PipelinedClientOptions<T = Envelope> {
  /** The ROUTER endpoint to connect to. Default: DEFAULT_ENDPOINTS.router (tcp://127.0.0.1:7000). */
  endpoint?: string;
  /** How requests are encoded and replies decoded. Default: envelopeCodec; required when T is not Envelope. */
  codec?: Codec<T>;
  /** Requests in flight at once; callers beyond it wait for a slot. Default 100. */
  window?: number;
  /** Per-request reply timeout in ms, counted from when the request gets a window slot. Default 1000. */
  timeoutMs?: number;
  /** The key a request or reply is matched by. Default: the Envelope's seq (`seqOf`); required when T is not Envelope. */
  keyOf?: (message: T) => RequestKey | undefined;
  /** Maps a reply to the error it reports (default: Envelope ErrorReply → RemoteError); null turns it off. */
  remoteError?: RemoteErrorOf<T> | null;
  /**
   * Send an empty delimiter frame first, as REQ does (for servers that expect it). Default false, like the Rust prost +
   * zmq example's DEALER.
   */
  delimiter?: boolean;
  /** libzmq options for the DEALER socket (linger defaults to 0). */
  socket?: SocketOptions;
}

/** Counters kept by a PipelinedClient. */
export interface PipelinedClientStats {
  /** Requests handed to the socket. */
  sent: number;
  /** Replies that settled their request (answers and ErrorReplies). */
  replies: number;
  /** Requests that got no reply within their timeout. */
  timeouts: number;
  /** Decoded replies that matched no request in flight (late, duplicate, or foreign). */
  unmatched: number;
  /** Replies that could not be decoded or had bad frames (they cannot be matched either). */
  badReplies: number;
}

interface InFlight<T> {
  resolve: (reply: T) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  /** Set once the request is settled, so a still-queued send is skipped. */
  done: boolean;
}

/**
 * A DEALER client with many requests in flight: `await client.request(msg)` from any number of callers.
 * Up to `window` requests are outstanding; replies are matched to requests by key (the Envelope's seq by
 * default) in any order, each request has its own timeout, and a reply matching nothing is counted in
 * `stats.unmatched`. One send loop and one receive loop own the socket (zeromq allows one of each pending).
 */
export class PipelinedClient<T = Envelope> {
  /** Live counters. */
  readonly stats: PipelinedClientStats = { sent: 0, replies: 0, timeouts: 0, unmatched: 0, badReplies: 0 };
  readonly endpoint: string;
  private readonly dealer: Dealer<T>;
  private readonly slots: Slots;
  private readonly timeoutMs: number;
  private readonly keyOf: (message: T) => RequestKey | undefined;
  private readonly remoteError: RemoteErrorOf<T> | null;
  private readonly inFlight = new Map<RequestKey, InFlight<T>>();
  private readonly sendQueue: Array<{ message: T; entry: InFlight<T> }> = [];
  private sending = false;
  private closed = false;
  private readonly receiving: Promise<void>;

  constructor(...[options = {}]: OptionsFor<T, PipelinedClientOptions<T>, "keyOf">) {
    const o: PipelinedClientOptions<T> = stripUndefined(options);
    this.endpoint = o.endpoint ?? CLIENT_DEFAULTS.endpoints.router;
    this.slots = new Slots(o.window ?? CLIENT_DEFAULTS.window);
    this.timeoutMs = o.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs;
    // OptionsFor lets keyOf be left out only when T is Envelope, where seqOf is the right key.
    this.keyOf = (o.keyOf ?? seqOf) as (message: T) => RequestKey | undefined;
    this.remoteError = o.remoteError === undefined ? envelopeRemoteError : o.remoteError;
    this.dealer = new Dealer<T>({
      linger: CLIENT_DEFAULTS.linger,
      ...o.socket,
      codec: codecOrDefault(o.codec),
      delimiter: o.delimiter ?? false,
    });
    this.dealer.connect(this.endpoint);
    this.receiving = this.receiveLoop();
  }

  /** Requests in flight right now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Callers waiting for a window slot. */
  get waiting(): number {
    return this.slots.waiting;
  }

  /**
   * Sends `message` once a window slot is free and resolves with its matching reply. Rejects with
   * TimeoutError, RemoteError (ErrorReply), AbortedError, ClosedError, or ClientError "BAD_REQUEST"
   * when the message has no key or its key is already in flight.
   */
  async request(message: T, options: CallOptions = {}): Promise<T> {
    if (this.closed) throw new ClosedError("pipelined client");
    const key = this.keyOf(message);
    if (key === undefined) throw new ClientError("BAD_REQUEST", "request has no key to match its reply by");
    await this.slots.acquire(options.signal);
    if (this.closed) {
      this.slots.release();
      throw new ClosedError("pipelined client");
    }
    if (this.inFlight.has(key)) {
      this.slots.release();
      throw new ClientError("BAD_REQUEST", `a request with key ${String(key)} is already in flight`);
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const aborted = whenAborted(options.signal);
    const reply = new Promise<T>((resolve, reject) => {
      const entry: InFlight<T> = {
        resolve,
        reject,
        done: false,
        timer: setTimeout(() => {
          this.stats.timeouts++;
          this.fail(
            key,
            entry,
            new TimeoutError(`no reply to request ${String(key)} within ${timeoutMs} ms`, 1, timeoutMs),
          );
        }, timeoutMs),
      };
      this.inFlight.set(key, entry);
      aborted.promise.catch((error: unknown) => this.fail(key, entry, error));
      this.sendQueue.push({ message, entry });
      this.pump();
    });
    try {
      return await reply;
    } finally {
      aborted.dispose();
    }
  }

  /** Closes the socket and rejects every pending and waiting request with ClosedError; resolves when the loops end. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const error = new ClosedError("pipelined client");
      this.slots.rejectWaiters(error);
      for (const [key, entry] of [...this.inFlight]) this.fail(key, entry, error);
      this.sendQueue.length = 0;
      this.dealer.close();
    }
    await this.receiving;
  }

  // Frees a request's key, window slot and timer exactly once; false if it was already settled.
  private release(key: RequestKey, entry: InFlight<T>): boolean {
    if (entry.done) return false;
    entry.done = true;
    clearTimeout(entry.timer);
    if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    this.slots.release();
    return true;
  }

  private fail(key: RequestKey, entry: InFlight<T>, error: unknown): void {
    if (this.release(key, entry)) entry.reject(error);
  }

  // The single send loop: drains the queue, awaiting each send (one pending send per socket).
  private pump(): void {
    if (this.sending) return;
    this.sending = true;
    void (async () => {
      try {
        for (let next = this.sendQueue.shift(); next !== undefined; next = this.sendQueue.shift()) {
          if (next.entry.done) continue; // timed out or aborted while queued: don't send it late
          try {
            await this.dealer.send(next.message);
            this.stats.sent++;
          } catch (error) {
            const key = this.keyOf(next.message)!;
            this.fail(key, next.entry, this.closed ? new ClosedError("pipelined client") : error);
          }
        }
      } finally {
        this.sending = false;
      }
    })();
  }

  // The single receive loop: runs until the socket closes; bad or unmatched replies are counted, never thrown.
  private async receiveLoop(): Promise<void> {
    try {
      for await (const received of this.dealer) {
        if (!received.ok) {
          this.stats.badReplies++;
          continue;
        }
        const key = this.keyOf(received.message);
        const entry = key === undefined ? undefined : this.inFlight.get(key);
        if (entry === undefined) {
          this.stats.unmatched++;
          continue;
        }
        this.stats.replies++;
        const remote = this.remoteError?.(received.message);
        if (remote === undefined) {
          if (this.release(key!, entry)) entry.resolve(received.message);
        } else {
          this.fail(key!, entry, remote);
        }
      }
    } catch (error) {
      // The socket failed under us: nothing more will be received, so fail what is waiting.
      for (const [key, entry] of [...this.inFlight]) this.fail(key, entry, error);
    }
  }
}
