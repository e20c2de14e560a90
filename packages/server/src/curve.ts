// CURVE on the server's fronts: the key and allow-list from the settings, the ZAP policy (in the main
// thread's ZapAuthenticator, from @zpb/transport), rate-limited logging of refused clients, and reloads.
// The host link (scale/link-security.ts) uses the same pieces with its own allow-list of worker hosts.
import {
  CurveServerSecurity,
  secretFileModeProblem,
  type CurveServerSocketOptions,
  type ZapRefusal,
} from "@zpb/transport";
import { ServerError } from "./errors.js";
import type { Logger } from "./log.js";
import type { ServerSettings } from "./settings.js";

/** A running server's CURVE state (RunningServer.curve). */
export interface ServerCurve {
  /** The server's public key (Z85): what clients give as their server key, and joined hosts as theirs. */
  readonly publicKey: string;
  /** The allow-list directory, or undefined when any client with the server key is accepted. */
  readonly authorizedKeys: string | undefined;
  /** Client keys in the allow-list now (undefined without one). */
  authorizedCount(): number | undefined;
  /** Clients refused since start (their key was not in the allow-list). */
  refused(): number;
  /**
   * Re-reads the allow-list directory; connected clients stay connected. Resolves with how many keys are in
   * force and which files were skipped; rejects (keeping the old list) when the directory cannot be read.
   */
  reload(): Promise<ReloadedKeys>;
  /** CURVE on the host link (`backend`): the worker hosts' allow-list; undefined when hosts cannot join. */
  readonly hosts?: HostLinkCurve | undefined;
}

/** The host link's CURVE state on a front (`backend` with `curveKey` and `hostKeys`; scale/link-security.ts). */
export interface HostLinkCurve {
  /** The directory of worker-host public certificates (`hostKeys`). */
  readonly hostKeys: string;
  /** Host keys in the allow-list now. */
  hostCount(): number;
  /** Hosts refused since start (their key was not in `hostKeys`). */
  refused(): number;
  /** Re-reads `hostKeys`, as ServerCurve.reload does the clients' list; joined hosts stay joined. */
  reload(): Promise<ReloadedKeys>;
}

/** What a reload of an allow-list found: the keys in force, and the files skipped with why. */
export interface ReloadedKeys {
  keys: number;
  skipped: Array<{ file: string; reason: string }>;
}

/** How often refusals may be logged: the first few of each window, then one summary line. */
const REFUSAL_WINDOW_MS = 10_000;
const REFUSAL_LINES_PER_WINDOW = 5;

/** Who a RefusalLog speaks of: the fronts' clients, or the worker hosts joining `backend`. */
export type Peer = "client" | "host";

/**
 * Logs refused peers with their address and public key, at most REFUSAL_LINES_PER_WINDOW lines per
 * REFUSAL_WINDOW_MS, then how many more were refused: a scanner or a misconfigured fleet reconnecting in a
 * loop must not flood the log.
 */
export class RefusalLog {
  count = 0;
  private windowStart = -Infinity;
  private linesInWindow = 0;
  private suppressed = 0;
  private readonly peer: Peer;
  private readonly now: () => number;

  constructor(
    private readonly logger: Logger,
    options: { peer?: Peer; now?: () => number } = {},
  ) {
    this.peer = options.peer ?? "client";
    this.now = options.now ?? (() => performance.now());
  }

  record(refusal: ZapRefusal): void {
    this.count++;
    const now = this.now();
    if (now - this.windowStart >= REFUSAL_WINDOW_MS) {
      if (this.suppressed > 0) {
        this.logger.warn(
          { refused: this.suppressed, peer: this.peer },
          `${this.suppressed} more ${this.peer}(s) refused in the last ${REFUSAL_WINDOW_MS / 1000} s (not logged one by one)`,
        );
      }
      this.windowStart = now;
      this.linesInWindow = 0;
      this.suppressed = 0;
    }
    if (this.linesInWindow >= REFUSAL_LINES_PER_WINDOW) {
      this.suppressed++;
      return;
    }
    this.linesInWindow++;
    this.logger.warn(
      {
        address: refusal.address,
        publicKey: refusal.publicKey,
        mechanism: refusal.mechanism,
        reason: refusal.reason,
        peer: this.peer,
      },
      `refused ${refusal.mechanism} ${this.peer} ${refusal.address} with key ${refusal.publicKey ?? "?"}: ${refusal.reason}`,
    );
  }
}

/** CURVE set up for a server: what its front sockets take, its state, and how to end it. */
export interface CurveSetup {
  socketOptions: CurveServerSocketOptions;
  state: ServerCurve;
  close(): Promise<void>;
}

/** One CURVE server policy (a ZAP domain of its own): its socket options, allow-list and refusals. */
export interface CurveServerSetup {
  socketOptions: CurveServerSocketOptions;
  publicKey: string;
  /** Keys in the allow-list now, or undefined when any key is accepted. */
  allowed(): number | undefined;
  refused(): number;
  reload(): Promise<ReloadedKeys>;
  close(): Promise<void>;
}

/**
 * Reads the server's secret key and an allow-list (`allowList`: a directory, or undefined for any key) and
 * registers a ZAP policy of their own, whose refusals are logged as `peer`s. Shared by the fronts (clients,
 * `authorizedKeys`) and the host link (worker hosts, `hostKeys`): one key, two domains, two allow-lists.
 */
export async function startCurveServer(
  secretKeyFile: string,
  allowList: string | undefined,
  peer: Peer,
  logger: Logger,
): Promise<CurveServerSetup> {
  const refusals = new RefusalLog(logger, { peer });
  const listName = peer === "client" ? "authorized keys" : "host keys";
  let security: CurveServerSecurity;
  try {
    security = await CurveServerSecurity.start({
      secretKey: secretKeyFile,
      ...(allowList === undefined ? {} : { authorizedKeys: allowList }),
      onRefused: (refusal) => refusals.record(refusal),
    });
  } catch (cause) {
    // CurveError messages name the file and never quote a key.
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("INVALID_OPTION", `CURVE: ${text}`, { cause });
  }
  for (const { file, reason } of security.allowList?.skipped ?? [])
    logger.warn({ file }, `skipped ${file} in the ${listName}: ${reason}`);
  return {
    socketOptions: security.socketOptions,
    publicKey: security.publicKey,
    allowed: () => security.allowList?.size,
    refused: () => refusals.count,
    reload: async () => {
      const loaded = await security.reload();
      return { keys: loaded?.keys.size ?? 0, skipped: loaded?.skipped ?? [] };
    },
    close: () => security.close(),
  };
}

/** Warns when a secret certificate file can be read by others (it is used anyway, as ssh does not). */
export function warnAboutSecretFile(file: string, logger: Logger): void {
  const problem = secretFileModeProblem(file);
  if (problem !== undefined) logger.warn({ file }, `WARNING: ${problem}`);
}

/** Reads the key and allow-list and registers the ZAP policy; undefined when curveKey is not set. */
export async function startCurve(
  settings: Pick<ServerSettings, "curveKey" | "authorizedKeys">,
  logger: Logger,
): Promise<CurveSetup | undefined> {
  if (settings.curveKey === undefined) return undefined;
  warnAboutSecretFile(settings.curveKey, logger);
  const clients = await startCurveServer(settings.curveKey, settings.authorizedKeys, "client", logger);
  const state: ServerCurve = {
    publicKey: clients.publicKey,
    authorizedKeys: settings.authorizedKeys,
    authorizedCount: clients.allowed,
    refused: clients.refused,
    reload: clients.reload,
  };
  return { socketOptions: clients.socketOptions, state, close: clients.close };
}

/** The start-up line's security part: what a client needs to know, and whether clients are authenticated. */
export function describeSecurity(curve: ServerCurve | undefined, insecure: boolean): string {
  if (curve === undefined) return insecure ? "plaintext (--insecure)" : "plaintext, loopback only";
  const who =
    curve.authorizedKeys === undefined
      ? "encrypted, not authenticated: any client with the server key is accepted"
      : `encrypted and authenticated: ${curve.authorizedCount()} client key(s) from ${curve.authorizedKeys}`;
  const hosts =
    curve.hosts === undefined
      ? ""
      : `; hosts join over CURVE: ${curve.hosts.hostCount()} host key(s) from ${curve.hosts.hostKeys}`;
  return `CURVE ${who}${hosts}; server public key ${curve.publicKey}`;
}
