// The one place where the link between a front and its joined hosts gets its security.
//
// With the server's CURVE key (`curveKey`), the front's backend ROUTER is a CURVE server with that secret key
// and a ZAP policy of its own: only hosts whose public certificate is in `hostKeys` may join (a joined host
// sees every request it is sent, so "any key" is never enough, and a client's key never lets it join). Each
// joined host connects as a CURVE client with its own key pair (`curveKey`) and the front's public key
// (`serverKey`). Without a key the link is plain tcp, which the settings allow on loopback or with
// `insecure` only (settings.ts, HOST_LINK_CONSTRAINTS). Nothing else in the broker or the joiner changes:
// both take these options as they are. See the server README, "Scaling out", and docs/wire.md.
import {
  curveClientOptions,
  readSecretCertificateSync,
  type CurveServerSocketOptions,
  type CurveSocketOptions,
} from "@zpb/transport";
import { type HostLinkCurve, startCurveServer, warnAboutSecretFile } from "../curve.js";
import { ServerError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ServerSettings } from "../settings.js";

/** CURVE on the front's backend ROUTER: its socket options, its state, and how to end it. */
export interface BackendSecurity {
  socketOptions: CurveServerSocketOptions;
  state: HostLinkCurve;
  close(): Promise<void>;
}

/**
 * The backend ROUTER's security on a front that hosts can join: undefined for a plaintext link (no
 * `curveKey`, or no `backend`). Set it up before the backend binds, so no host is judged without the policy.
 */
export async function startBackendSecurity(
  settings: Pick<ServerSettings, "backend" | "curveKey" | "hostKeys">,
  logger: Logger,
): Promise<BackendSecurity | undefined> {
  if (settings.backend === false || settings.curveKey === undefined) return undefined;
  // The settings' constraints guarantee it; checked again for a caller that skipped resolveOptions.
  if (settings.hostKeys === undefined)
    throw new ServerError("INVALID_OPTION", "with curveKey, backend needs hostKeys (the worker hosts' allow-list)");
  const hostKeys = settings.hostKeys;
  const hosts = await startCurveServer(settings.curveKey, hostKeys, "host", logger);
  return {
    socketOptions: hosts.socketOptions,
    state: {
      hostKeys,
      hostCount: () => hosts.allowed() ?? 0,
      refused: hosts.refused,
      reload: hosts.reload,
    },
    close: hosts.close,
  };
}

/**
 * Options for a joined host's DEALER to the front: a CURVE client with this host's key pair (`curveKey`)
 * and the front's public key (`serverKey`, a certificate file or the key itself), or none for a plaintext
 * link. Reads the certificate files; throws ServerError INVALID_OPTION naming the file (never quoting a key).
 */
export function uplinkSecurity(
  settings: Pick<ServerSettings, "curveKey" | "serverKey">,
  logger: Logger,
): CurveSocketOptions {
  if (settings.curveKey === undefined || settings.serverKey === undefined) return {};
  warnAboutSecretFile(settings.curveKey, logger);
  try {
    return curveClientOptions({ serverKey: settings.serverKey, secretKey: settings.curveKey });
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : String(cause);
    throw new ServerError("INVALID_OPTION", `CURVE: ${text}`, { cause });
  }
}

/** The start-up line's security part for a joined host: how it talks to the front, and the key to authorize. */
export function describeUplinkSecurity(settings: Pick<ServerSettings, "curveKey" | "insecure">): string {
  if (settings.curveKey === undefined)
    return settings.insecure ? "host link plaintext (--insecure)" : "host link plaintext, loopback only";
  const { publicKey } = readSecretCertificateSync(settings.curveKey);
  return `host link CURVE; this host's public key ${publicKey} (the front's --host-keys must list it)`;
}
