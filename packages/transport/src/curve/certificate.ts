// CURVE certificate files as czmq's zcert and pyzmq's zmq.auth write and read them: `NAME.key` holds the
// public key, `NAME.key_secret` the public and the secret key, both in ZPL:
//
//   metadata
//       name = "alice"
//   curve
//       public-key = "…40 Z85 characters…"
//       secret-key = "…40 Z85 characters…"     (only in NAME.key_secret)
import { constants } from "node:fs";
import { open, readFile, readdir, stat } from "node:fs/promises";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CurveError } from "../errors.js";
import { generateKeyPair, isCurveKey, publicKeyOf, type CurveKeyPair } from "./keys.js";
import { formatZpl, parseZpl, ZplSyntaxError } from "./zpl.js";

/** What a certificate file holds. `secretKey` is set only for a secret certificate (`NAME.key_secret`). */
export interface Certificate {
  publicKey: string;
  secretKey?: string;
  /** The `metadata` section (czmq and pyzmq write e.g. name, email, organization). */
  metadata: Record<string, string>;
}

/** A certificate that holds a secret key. */
export type SecretCertificate = Certificate & { secretKey: string };

/** The suffixes czmq and pyzmq use: public certificates are shared, secret ones never leave their host. */
export const PUBLIC_SUFFIX = ".key";
export const SECRET_SUFFIX = ".key_secret";

/**
 * Parses certificate text. Throws CurveError "BAD_CERTIFICATE" when it is not ZPL, has no valid public key,
 * or holds a secret key that does not belong to its public key. `source` names the file in messages.
 */
export function parseCertificate(text: string, source = "certificate"): Certificate {
  let properties: Map<string, string>;
  try {
    properties = parseZpl(text);
  } catch (error) {
    if (!(error instanceof ZplSyntaxError)) throw error;
    throw new CurveError("BAD_CERTIFICATE", `${source}: not a ZPL certificate (${error.message})`);
  }
  // czmq and pyzmq write the keys under `curve`; pyzmq reads `public-key` wherever it stands, so do we.
  const find = (name: string) =>
    properties.get(`curve/${name}`) ?? [...properties].find(([path]) => path.split("/").pop() === name)?.[1];
  const publicKey = find("public-key");
  const secretKey = find("secret-key");
  if (publicKey === undefined) throw new CurveError("BAD_CERTIFICATE", `${source}: no curve public-key`);
  if (!isCurveKey(publicKey))
    throw new CurveError("BAD_CERTIFICATE", `${source}: public-key is not 40 characters of Z85`);
  const metadata: Record<string, string> = {};
  for (const [path, value] of properties) if (path.startsWith("metadata/")) metadata[path.slice(9)] = value;
  if (secretKey === undefined || secretKey === "") return { publicKey, metadata };
  if (!isCurveKey(secretKey))
    throw new CurveError("BAD_CERTIFICATE", `${source}: secret-key is not 40 characters of Z85`);
  if (publicKeyOf(secretKey) !== publicKey)
    throw new CurveError("BAD_CERTIFICATE", `${source}: its public-key does not belong to its secret-key`);
  return { publicKey, secretKey, metadata };
}

/** Reads a public or secret certificate file (sync: clients resolve keys in their constructors). */
export function readCertificateSync(path: string): Certificate {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw unreadable(path, cause);
  }
  return parseCertificate(text, path);
}

/** Reads a public or secret certificate file. */
export async function readCertificate(path: string): Promise<Certificate> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw unreadable(path, cause);
  }
  return parseCertificate(text, path);
}

/** Reads a secret certificate; throws CurveError "NO_SECRET_KEY" for a public one (e.g. `NAME.key` given for `NAME.key_secret`). */
export function readSecretCertificateSync(path: string): SecretCertificate {
  const certificate = readCertificateSync(path);
  if (certificate.secretKey === undefined) {
    throw new CurveError(
      "NO_SECRET_KEY",
      `${path} holds only a public key; give the secret certificate (${path.endsWith(PUBLIC_SUFFIX) ? `${path}_secret` : `NAME${SECRET_SUFFIX}`})`,
    );
  }
  return certificate as SecretCertificate;
}

/**
 * Why a secret certificate's file mode is unsafe, or undefined when it is not: readable or writable by
 * group or others, as ssh warns about private keys. (No check on Windows, where modes mean nothing.)
 */
export function secretFileModeProblem(path: string): string | undefined {
  if (process.platform === "win32") return undefined;
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return undefined; // reading it reports the real problem
  }
  if ((mode & 0o077) === 0) return undefined;
  return `${path} is accessible by others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): its secret key is not private; run chmod 600 ${path}`;
}

/** Options for writeCertificates(). */
export interface WriteCertificatesOptions {
  /** The `metadata` section of both files (e.g. `{ name: "alice" }`). */
  metadata?: Record<string, string>;
  /** The key pair to write. Default: a fresh one from libzmq. */
  keyPair?: CurveKeyPair;
  /** Replace existing files. Default false: an existing file fails the call and nothing is written. */
  overwrite?: boolean;
}

/** The files writeCertificates() wrote. */
export interface WrittenCertificates {
  publicFile: string;
  secretFile: string;
  publicKey: string;
}

/**
 * Writes `DIR/NAME.key` (public) and `DIR/NAME.key_secret` (public + secret, mode 0600), what
 * pyzmq's `zmq.auth.create_certificates(DIR, NAME)` and czmq's `zcert_save` write.
 */
export async function writeCertificates(
  dir: string,
  name: string,
  options: WriteCertificatesOptions = {},
): Promise<WrittenCertificates> {
  const { publicKey, secretKey } = options.keyPair ?? generateKeyPair();
  const metadata = options.metadata ?? {};
  const generated = `****  Generated on ${new Date().toISOString()} by zpb  ****`;
  const publicFile = join(dir, `${name}${PUBLIC_SUFFIX}`);
  const secretFile = join(dir, `${name}${SECRET_SUFFIX}`);
  const publicText = formatZpl(
    [
      generated,
      "ZeroMQ CURVE Public Certificate",
      "Exchange securely, or use a secure mechanism to verify the contents",
      "of this file after exchange. Store public certificates in your home",
      "directory, in the .curve subdirectory.",
    ],
    [
      ["metadata", metadata],
      ["curve", { "public-key": publicKey }],
    ],
  );
  const secretText = formatZpl(
    [
      generated,
      "ZeroMQ CURVE **Secret** Certificate",
      "DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
    ],
    [
      ["metadata", metadata],
      ["curve", { "public-key": publicKey, "secret-key": secretKey }],
    ],
  );
  if (!options.overwrite) {
    for (const file of [publicFile, secretFile]) {
      if (await exists(file)) throw new CurveError("EXISTS", `${file} exists; not overwriting it`);
    }
  }
  // The secret file is created 0600 (and chmod-ed, in case it existed with a wider mode) before any byte of
  // the key is written, so it is never readable by others, not even for a moment.
  await writeFileWithMode(secretFile, secretText, 0o600, options.overwrite ?? false);
  await writeFileWithMode(publicFile, publicText, 0o644, options.overwrite ?? false);
  return { publicFile, secretFile, publicKey };
}

async function writeFileWithMode(path: string, text: string, mode: number, overwrite: boolean): Promise<void> {
  const flags = overwrite ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : "wx";
  const file = await open(path, flags, mode);
  try {
    await file.chmod(mode);
    await file.writeFile(text, "utf8");
  } finally {
    await file.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** What loadPublicKeys() found in a directory. */
export interface LoadedKeys {
  /** The public keys (Z85) of every readable `*.key` file. */
  keys: Set<string>;
  /** Files that looked like certificates but could not be used, with the reason (no secret key is ever quoted). */
  skipped: Array<{ file: string; reason: string }>;
}

/**
 * Loads the public keys of every `*.key` certificate in `dir`, as pyzmq's `load_certificates(DIR)` and
 * czmq's zcertstore do for an allow-list. Unparseable files are skipped and reported, so one bad file
 * does not lock every client out; an unreadable directory throws CurveError "UNREADABLE".
 */
export async function loadPublicKeys(dir: string): Promise<LoadedKeys> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw unreadable(dir, cause);
  }
  const keys = new Set<string>();
  const skipped: LoadedKeys["skipped"] = [];
  for (const name of names.sort()) {
    if (!name.endsWith(PUBLIC_SUFFIX)) continue;
    const file = join(dir, name);
    try {
      keys.add((await readCertificate(file)).publicKey);
    } catch (error) {
      skipped.push({ file, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { keys, skipped };
}

function unreadable(path: string, cause: unknown): CurveError {
  const code = (cause as { code?: string } | null)?.code;
  const why = code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : String(cause);
  return new CurveError("UNREADABLE", `cannot read ${path}: ${why}`, { cause });
}
