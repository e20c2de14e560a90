import * as zmq from "zeromq";
import type { LoadedKeys } from "./certificate.js";
import { secretKeyFrom, type KeySource } from "./options.js";
import { CurveAllowList, ZapAuthenticator, type ZapRefusal } from "./zap.js";

/** How a CURVE server socket is secured. */
export interface CurveServerSecurityOptions {
  /** The server's secret key, or its secret certificate file (`server.key_secret`). */
  secretKey: KeySource;
  /**
   * A directory of client public certificates (`*.key`): only those clients are accepted. Default: any
   * client that knows the server's public key (encrypted, not authenticated).
   */
  authorizedKeys?: string;
  /** Hears of every refused client. */
  onRefused?: (refusal: ZapRefusal) => void;
  /** The zeromq context of the server sockets. Default: the process-wide one. */
  context?: zmq.Context;
}

/** The socket options a secured server socket takes. */
export interface CurveServerSocketOptions {
  curveServer: true;
  curveSecretKey: string;
  zapDomain: string;
}

let domains = 0;

/**
 * Everything a CURVE server socket needs, set up and torn down together: the socket options (with a ZAP
 * domain of its own) and that domain's policy in the context's ZapAuthenticator, so several servers in one
 * process keep separate allow-lists. Set it up before binding, so no client is judged without a policy.
 */
export class CurveServerSecurity {
  private constructor(
    /** Options for every socket this server binds (Router, Publisher, …). */
    readonly socketOptions: CurveServerSocketOptions,
    /** The server's public key: what its clients give as `serverKey`. */
    readonly publicKey: string,
    /** The allow-list in force, or undefined when any client that knows the server key is accepted. */
    readonly allowList: CurveAllowList | undefined,
    private readonly authenticator: ZapAuthenticator,
    private readonly removePolicy: () => void,
  ) {}

  /**
   * Reads the key (and the allow-list directory), and registers the policy. Throws CurveError for a bad
   * key, certificate or unreadable directory; TransportError "SOCKET" if another ZAP handler owns the context.
   */
  static async start(options: CurveServerSecurityOptions): Promise<CurveServerSecurity> {
    const { publicKey, secretKey } = secretKeyFrom(options.secretKey, "server secret key");
    const allowList =
      options.authorizedKeys === undefined ? undefined : await CurveAllowList.load(options.authorizedKeys);
    const authenticator = await ZapAuthenticator.acquire(options.context ?? zmq.context);
    const zapDomain = `zpb-${process.pid}-${++domains}`;
    const removePolicy = authenticator.allowCurve(zapDomain, {
      allow: allowList ?? "any",
      ...(options.onRefused ? { onRefused: options.onRefused } : {}),
    });
    return new CurveServerSecurity(
      { curveServer: true, curveSecretKey: secretKey, zapDomain },
      publicKey,
      allowList,
      authenticator,
      removePolicy,
    );
  }

  /** Re-reads the allow-list directory (connected clients stay connected); undefined without one. */
  async reload(): Promise<LoadedKeys | undefined> {
    return this.allowList?.reload();
  }

  /** Removes the policy and releases the authenticator (call after the server's sockets are closed). */
  async close(): Promise<void> {
    this.removePolicy();
    await this.authenticator.release();
  }
}
