import { statSync } from "node:fs";
import { CurveError } from "../errors.js";
import { readCertificateSync, readSecretCertificateSync } from "./certificate.js";
import { ephemeralKeyPair, isCurveKey, publicKeyOf, z85Key, type CurveKey } from "./keys.js";

/**
 * A key, or where to read it: a CURVE key (40 characters of Z85, or 32 bytes), or the path of a certificate
 * file (`NAME.key` for a public key, `NAME.key_secret` for a secret one). A string that names an existing
 * file is read as a certificate (a path can be 40 characters of Z85: `/tmp/zpb-XXXXXX/server.key` is);
 * any other valid Z85 string is the key itself.
 */
export type KeySource = CurveKey | string;

/** The keys of a CURVE client: the server's public key, and (optionally) the client's own key pair. */
export interface CurveClientKeys {
  /** The server's public key, or its public certificate file (`server.key`). */
  serverKey: KeySource;
  /** This client's public key. Default: derived from `secretKey`, or this process's generated key pair. */
  publicKey?: KeySource;
  /**
   * This client's secret key, or its secret certificate file (`client.key_secret`, holding both keys).
   * Default: a key pair generated once per process (fine when the server accepts any key; an allow-list
   * needs a key pair whose public half it lists).
   */
  secretKey?: KeySource;
}

/** The keys of a CURVE server: its secret key (its public key is what clients give as `serverKey`). */
export interface CurveServerKeys {
  /** The server's secret key, or its secret certificate file (`server.key_secret`). */
  secretKey: KeySource;
}

/** The socket options curveClientOptions() and curveServerOptions() return (Z85 text). */
export interface CurveSocketOptions {
  curveServer?: boolean;
  curveServerKey?: string;
  curvePublicKey?: string;
  curveSecretKey?: string;
}

/** A public key from a key or a certificate file (public or secret). */
export function publicKeyFrom(source: KeySource, what: string): string {
  if (isKeyText(source)) return z85Key(source, what);
  return readCertificateSync(sourcePath(source, what)).publicKey;
}

/** A key pair from a secret key or a secret certificate file. */
export function secretKeyFrom(source: KeySource, what: string): { publicKey: string; secretKey: string } {
  if (isKeyText(source)) {
    const secretKey = z85Key(source, what);
    return { secretKey, publicKey: publicKeyOf(secretKey) };
  }
  const { publicKey, secretKey } = readSecretCertificateSync(sourcePath(source, what));
  return { publicKey, secretKey };
}

/** A key given as itself, not a certificate file's path (see KeySource): what settings parsers ask too. */
export function isKeyText(source: KeySource): source is CurveKey {
  if (!isCurveKey(source)) return false;
  if (typeof source !== "string") return true;
  try {
    return !statSync(source).isFile();
  } catch {
    return true;
  }
}

function sourcePath(source: KeySource, what: string): string {
  if (typeof source !== "string")
    throw new CurveError("BAD_KEY", `${what}: expected 32 bytes, got ${(source as Uint8Array).length}`);
  if (source === "") throw new CurveError("BAD_KEY", `${what}: empty`);
  return source;
}

/**
 * Socket options that make a socket a CURVE client of the server whose public key is `serverKey`.
 * Reads certificate files synchronously; throws CurveError (BAD_KEY, BAD_CERTIFICATE, NO_SECRET_KEY,
 * UNREADABLE) with messages that never contain a secret key.
 */
export function curveClientOptions(keys: CurveClientKeys): CurveSocketOptions {
  const curveServerKey = publicKeyFrom(keys.serverKey, "server key");
  let own: { publicKey: string; secretKey: string };
  if (keys.secretKey !== undefined) {
    own = secretKeyFrom(keys.secretKey, "client secret key");
    if (keys.publicKey !== undefined && publicKeyFrom(keys.publicKey, "client public key") !== own.publicKey)
      throw new CurveError("BAD_KEY", "client public key: it does not belong to the client secret key");
  } else if (keys.publicKey !== undefined) {
    throw new CurveError("BAD_KEY", "client public key given without its secret key");
  } else {
    own = ephemeralKeyPair();
  }
  return { curveServerKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey };
}

/** Socket options that make a (bound) socket a CURVE server with this secret key. */
export function curveServerOptions(keys: CurveServerKeys): CurveSocketOptions {
  const { secretKey } = secretKeyFrom(keys.secretKey, "server secret key");
  return { curveServer: true, curveSecretKey: secretKey };
}
