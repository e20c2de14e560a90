// CURVE on the server's fronts: the key and allow-list from the settings, the ZAP policy (in the main
// thread's ZapAuthenticator, from @zpb/transport), rate-limited logging of refused clients, and reloads.
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
  /** The server's public key (Z85): what clients give as their server key. */
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
  reload(): Promise<{ keys: number; skipped: Array<{ file: string; reason: string }> }>;
}

/** How often refusals may be logged: the first few of each window, then one summary line. */
const REFUSAL_WINDOW_MS = 10_000;
const REFUSAL_LINES_PER_WINDOW = 5;

/**
 * Logs refused clients with their address and public key, at most REFUSAL_LINES_PER_WINDOW lines per
 * REFUSAL_WINDOW_MS, then how many more were refused: a scanner or a misconfigured fleet reconnecting in a
 * loop must not flood the log.
 */
export class RefusalLog {
  count = 0;
  private windowStart = -Infinity;
  private linesInWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  record(refusal: ZapRefusal): void {
    this.count++;
    const now = this.now();
    if (now - this.windowStart >= REFUSAL_WINDOW_MS) {
      if (this.suppressed > 0) {
        this.logger.warn(
          { refused: this.suppressed },
          `${this.suppressed} more client(s) refused in the last ${REFUSAL_WINDOW_MS / 1000} s (not logged one by one)`,
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
      { address: refusal.address, publicKey: refusal.publicKey, mechanism: refusal.mechanism, reason: refusal.reason },
      `refused ${refusal.mechanism} client ${refusal.address} with key ${refusal.publicKey ?? "?"}: ${refusal.reason}`,
    );
  }
}

/** CURVE set up for a server: what its front sockets take, its state, and how to end it. */
export interface CurveSetup {
  socketOptions: CurveServerSocketOptions;
  state: ServerCurve;
  close(): Promise<void>;
}

/** Reads the key and allow-list and registers the ZAP policy; undefined when curveKey is not set. */
export async function startCurve(
  settings: Pick<ServerSettings, "curveKey" | "authorizedKeys">,
  logger: Logger,
): Promise<CurveSetup | undefined> {
  if (settings.curveKey === undefined) return undefined;
  const problem = secretFileModeProblem(settings.curveKey);
  if (problem !== undefined) logger.warn({ file: settings.curveKey }, `WARNING: ${problem}`);
  const refusals = new RefusalLog(logger);
  let security: CurveServerSecurity;
  try {
    security = await CurveServerSecurity.start({
      secretKey: settings.curveKey,
      ...(settings.authorizedKeys === undefined ? {} : { authorizedKeys: settings.authorizedKeys }),
      onRefused: (refusal) => refusals.record(refusal),
    });
  } catch (cause) {
    // CurveError messages name the file and never quote a key.
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("INVALID_OPTION", `CURVE: ${text}`, { cause });
  }
  for (const { file, reason } of security.allowList?.skipped ?? [])
    logger.warn({ file }, `skipped ${file} in the authorized keys: ${reason}`);
  const state: ServerCurve = {
    publicKey: security.publicKey,
    authorizedKeys: settings.authorizedKeys,
    authorizedCount: () => security.allowList?.size,
    refused: () => refusals.count,
    reload: async () => {
      const loaded = await security.reload();
      return { keys: loaded?.keys.size ?? 0, skipped: loaded?.skipped ?? [] };
    },
  };
  return { socketOptions: security.socketOptions, state, close: () => security.close() };
}

/** The start-up line's security part: what a client needs to know, and whether clients are authenticated. */
export function describeSecurity(curve: ServerCurve | undefined, insecure: boolean): string {
  if (curve === undefined) return insecure ? "plaintext (--insecure)" : "plaintext, loopback only";
  const who =
    curve.authorizedKeys === undefined
      ? "encrypted, not authenticated: any client with the server key is accepted"
      : `encrypted and authenticated: ${curve.authorizedCount()} client key(s) from ${curve.authorizedKeys}`;
  return `CURVE ${who}; server public key ${curve.publicKey}`;
}
