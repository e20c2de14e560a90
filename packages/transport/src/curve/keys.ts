import { createPrivateKey, createPublicKey } from "node:crypto";
import * as zmq from "zeromq";
import { CurveError } from "../errors.js";
import { isZ85, z85Decode, z85Encode } from "./z85.js";

/** A CURVE key (Curve25519, 32 bytes): as libzmq's 40-character Z85 text, or as the 32 raw bytes. */
export type CurveKey = string | Uint8Array;

/** A long-term CURVE key pair, as Z85 text. */
export interface CurveKeyPair {
  publicKey: string;
  secretKey: string;
}

const KEY_BYTES = 32;
const KEY_CHARS = 40;

/** True when `key` is a CURVE key: 40 characters of Z85, or 32 bytes. */
export function isCurveKey(key: unknown): key is CurveKey {
  if (typeof key === "string") return key.length === KEY_CHARS && isZ85(key);
  return key instanceof Uint8Array && key.length === KEY_BYTES;
}

/**
 * A key as the 40-character Z85 text libzmq, pyzmq and certificate files use; throws CurveError "BAD_KEY".
 * `what` names the key in the message ("server key"); the key itself is never quoted (it may be secret).
 */
export function z85Key(key: CurveKey, what = "CURVE key"): string {
  if (!isCurveKey(key)) {
    const given = key as unknown;
    const shape =
      typeof given === "string"
        ? `${given.length} characters${given.length === KEY_CHARS ? " (not all Z85)" : ""}`
        : given instanceof Uint8Array
          ? `${given.length} bytes`
          : typeof given;
    throw new CurveError("BAD_KEY", `${what}: expected 40 characters of Z85 or 32 bytes, got ${shape}`);
  }
  return typeof key === "string" ? key : z85Encode(key);
}

/** A fresh key pair from libzmq (zmq_curve_keypair, backed by libsodium or tweetnacl). */
export function generateKeyPair(): CurveKeyPair {
  return zmq.curveKeyPair();
}

// A PKCS#8 wrapper for a raw X25519 private key (RFC 8410), so node:crypto can derive its public key.
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/**
 * The public key that belongs to `secretKey` (Curve25519 scalar multiplication by the base point, what
 * libzmq's zmq_curve_public does), computed with node:crypto's X25519. Lets a caller give only a secret
 * key, and lets certificate loading check that a file's two keys belong together.
 */
export function publicKeyOf(secretKey: CurveKey): string {
  const secret = z85Decode(z85Key(secretKey, "secret key"));
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, secret]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return z85Encode(spki.subarray(spki.length - KEY_BYTES));
}

let processKeyPair: CurveKeyPair | undefined;

/**
 * This process's own client key pair, generated on first use and kept for the process's lifetime: a CURVE
 * client that was given no key pair still needs one, and one per process (not per socket) means a server's
 * refusal log shows one key per client process.
 */
export function ephemeralKeyPair(): CurveKeyPair {
  processKeyPair ??= generateKeyPair();
  return processKeyPair;
}
