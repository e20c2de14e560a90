// A ZAP handler (ZeroMQ RFC 27): libzmq asks it, over `inproc://zeromq.zap.01` in the server socket's
// context, whether each client that completed a CURVE handshake may connect. This is the zguide's
// "Ironhouse" pattern, and what czmq's zauth and pyzmq's zmq.auth.Authenticator do.
import * as zmq from "zeromq";
import { TransportError } from "../errors.js";
import { loadPublicKeys, type LoadedKeys } from "./certificate.js";
import { z85Encode } from "./z85.js";

/** A client the ZAP handler turned away. */
export interface ZapRefusal {
  /** The ZAP domain of the server socket that asked (its `zapDomain`). */
  domain: string;
  /** The client's IP address, as libzmq reports it. */
  address: string;
  /** "CURVE", "PLAIN", … */
  mechanism: string;
  /** The client's public key (Z85), for CURVE. */
  publicKey?: string;
  /** Why, as sent back in the ZAP reply's status text. */
  reason: string;
}

/** Which CURVE clients a ZAP domain accepts. */
export interface CurveAccess {
  /**
   * "any": every client that completes the CURVE handshake, i.e. knows the server's public key (encrypted,
   * not authenticated). A CurveAllowList: only clients whose public key it holds.
   */
  allow: "any" | CurveAllowList;
  /** Hears of every refused client of this domain (count them, log them rate-limited). */
  onRefused?: (refusal: ZapRefusal) => void;
}

/** Counters kept by a ZapAuthenticator. */
export interface ZapStats {
  /** ZAP requests answered (every request is answered). */
  requests: number;
  accepted: number;
  refused: number;
  /** Requests that were not valid ZAP (answered with status 500). */
  malformed: number;
}

/**
 * The public keys of every `*.key` certificate in a directory (czmq's zcertstore, pyzmq's
 * `configure_curve(location=DIR)`). reload() swaps the whole set at once; connected clients are never
 * affected (ZAP is only asked during a handshake), so a key removed from the directory keeps its open
 * connections and is refused on its next connect.
 */
export class CurveAllowList {
  private keys: ReadonlySet<string> = new Set();
  /** Files skipped by the last load, with the reason. */
  skipped: LoadedKeys["skipped"] = [];

  private constructor(
    /** The directory the keys are read from. */
    readonly directory: string,
  ) {}

  /** Loads `directory`; throws CurveError "UNREADABLE" when it cannot be read. */
  static async load(directory: string): Promise<CurveAllowList> {
    const list = new CurveAllowList(directory);
    await list.reload();
    return list;
  }

  /** A fixed list of Z85 public keys (for tests and programs that keep keys elsewhere). */
  static of(keys: Iterable<string>): CurveAllowList {
    const list = new CurveAllowList("");
    list.keys = new Set(keys);
    return list;
  }

  /** Re-reads the directory and swaps the set; on failure the old set stays in force and the error is thrown. */
  async reload(): Promise<LoadedKeys> {
    if (this.directory === "") return { keys: new Set(this.keys), skipped: [] };
    const loaded = await loadPublicKeys(this.directory);
    this.keys = loaded.keys;
    this.skipped = loaded.skipped;
    return loaded;
  }

  /** Keys in force. */
  get size(): number {
    return this.keys.size;
  }

  has(publicKey: string): boolean {
    return this.keys.has(publicKey);
  }
}

const ZAP_ENDPOINT = "inproc://zeromq.zap.01";
const ZAP_VERSION = "1.0";
const EMPTY = Buffer.alloc(0);
/** RFC 27 CURVE credentials: the client's 32-byte long-term public key. */
const CURVE_KEY_BYTES = 32;

/**
 * The ZAP handler of one zeromq context (one per context is all libzmq allows): a ROUTER bound to
 * `inproc://zeromq.zap.01` on the thread that created it (the server's main thread), answering every
 * request. Policies are set per ZAP domain, so several CURVE servers in one process each keep their own
 * allow-list; a CURVE request for a domain without a policy is refused (as pyzmq's Authenticator does).
 * While it runs, *every* CURVE server socket of the context is judged by it.
 *
 * Share it with `ZapAuthenticator.acquire()` / `release()`: it binds on the first acquire and closes with
 * the last release.
 */
export class ZapAuthenticator {
  /** Live counters. */
  readonly stats: ZapStats = { requests: 0, accepted: 0, refused: 0, malformed: 0 };
  private readonly policies = new Map<string, CurveAccess>();
  private readonly serving: Promise<void>;
  private users = 0;

  private constructor(
    private readonly router: zmq.Router,
    private readonly context: zmq.Context,
  ) {
    this.serving = this.serve();
  }

  private static readonly shared = new Map<zmq.Context, Promise<ZapAuthenticator>>();
  /** Handlers being released: a new one for the same context binds only after the old one let go. */
  private static readonly releasing = new Map<zmq.Context, Promise<void>>();

  /**
   * The ZAP handler of `context` (default: the process-wide one, which server sockets use), bound on first
   * use. Rejects TransportError "SOCKET" when something else already handles ZAP in that context.
   */
  static async acquire(context: zmq.Context = zmq.context): Promise<ZapAuthenticator> {
    let starting = ZapAuthenticator.shared.get(context);
    if (starting === undefined) {
      starting = ZapAuthenticator.start(context);
      ZapAuthenticator.shared.set(context, starting);
      starting.catch(() => ZapAuthenticator.shared.delete(context));
    }
    const authenticator = await starting;
    authenticator.users++;
    return authenticator;
  }

  private static async start(context: zmq.Context): Promise<ZapAuthenticator> {
    await ZapAuthenticator.releasing.get(context);
    // linger 0: an answer to a handshake that is gone is worth nothing at close.
    const router = new zmq.Router({ context, linger: 0 });
    try {
      await router.bind(ZAP_ENDPOINT);
    } catch (cause) {
      router.close();
      throw TransportError.from(cause, `bind ${ZAP_ENDPOINT} (is another ZAP handler running in this context?)`);
    }
    return new ZapAuthenticator(router, context);
  }

  /**
   * Sets who may connect to server sockets whose `zapDomain` is `domain` ("*" applies to domains without
   * a policy of their own). Returns a function that removes the policy again.
   */
  allowCurve(domain: string, access: CurveAccess): () => void {
    this.policies.set(domain, access);
    return () => {
      if (this.policies.get(domain) === access) this.policies.delete(domain);
    };
  }

  /** Gives up one acquire(); the last one closes the socket and ends the handler. */
  async release(): Promise<void> {
    if (--this.users > 0) return;
    ZapAuthenticator.shared.delete(this.context);
    const releasing = (async () => {
      // Unbind first: close() frees the endpoint only later, on libzmq's reaper thread, and a server
      // started right after (tests, restarts in one process) must be able to bind it again.
      await this.router.unbind(ZAP_ENDPOINT).catch(() => {});
      this.router.close();
      await this.serving;
    })();
    ZapAuthenticator.releasing.set(this.context, releasing);
    await releasing;
    if (ZapAuthenticator.releasing.get(this.context) === releasing) ZapAuthenticator.releasing.delete(this.context);
  }

  private async serve(): Promise<void> {
    for (;;) {
      let frames: Buffer[];
      try {
        frames = await this.router.receive();
      } catch {
        return; // closed
      }
      const reply = this.answer(frames);
      try {
        await this.router.send(reply);
      } catch {
        if (this.router.closed) return;
        // The asking socket went away mid-handshake: nothing to answer any more.
      }
    }
  }

  /** The reply frames for one request: [routing id, "", version, request id, status, text, user id, metadata]. */
  private answer(frames: Buffer[]): Buffer[] {
    this.stats.requests++;
    // [routing id, "", version, request id, domain, address, identity, mechanism, credentials…]
    const [routingId = EMPTY, , version, requestId = EMPTY, domainFrame, addressFrame, , mechanismFrame] = frames;
    const reply = (status: string, text: string, userId = "") => [
      routingId,
      EMPTY,
      Buffer.from(ZAP_VERSION),
      requestId,
      Buffer.from(status),
      Buffer.from(text),
      Buffer.from(userId),
      EMPTY,
    ];
    if (frames.length < 8 || version?.toString() !== ZAP_VERSION) {
      this.stats.malformed++;
      return reply("500", "malformed ZAP request");
    }
    const domain = domainFrame!.toString();
    const address = addressFrame!.toString();
    const mechanism = mechanismFrame!.toString();
    const refuse = (reason: string, publicKey?: string, access?: CurveAccess) => {
      this.stats.refused++;
      access?.onRefused?.({ domain, address, mechanism, reason, ...(publicKey ? { publicKey } : {}) });
      return reply("400", reason);
    };
    if (mechanism === "NULL") {
      // Only asked for plaintext sockets that set a zapDomain; zpb does not filter those by address.
      this.stats.accepted++;
      return reply("200", "OK");
    }
    if (mechanism !== "CURVE") return refuse(`${mechanism} is not accepted here`);
    const credentials = frames[8];
    if (frames.length !== 9 || credentials?.length !== CURVE_KEY_BYTES) {
      this.stats.malformed++;
      return reply("500", "malformed CURVE credentials");
    }
    const publicKey = z85Encode(credentials);
    const access = this.policies.get(domain) ?? this.policies.get("*");
    if (access === undefined) return refuse(`no CURVE policy for ZAP domain "${domain}"`, publicKey);
    if (access.allow !== "any" && !access.allow.has(publicKey))
      return refuse("client key not authorized", publicKey, access);
    this.stats.accepted++;
    return reply("200", "OK", publicKey);
  }
}
