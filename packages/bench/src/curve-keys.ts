// Keys for the CURVE rows: a server certificate pair and one authorized client, written the way `zpb keygen`
// writes them, so our server is measured exactly as it runs between hosts (--curve-key, --authorized-keys).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, writeCertificates } from "@zpb/transport";

/** A CURVE client's socket options, by zeromq.js's names: spread into a socket's constructor options. */
export interface CurveClientSocketOptions {
  curveServerKey: string;
  curvePublicKey: string;
  curveSecretKey: string;
}

/** What a CURVE run needs: the server's files and the client's keys. */
export interface CurveRunKeys {
  serverSecretFile: string;
  authorizedKeys: string;
  client: CurveClientSocketOptions;
  /** Deletes the temporary folder. */
  remove(): void;
}

/** Writes a server pair and an authorized client key into a fresh temporary folder. */
export async function makeCurveKeys(): Promise<CurveRunKeys> {
  const dir = mkdtempSync(join(tmpdir(), "zpb-bench-curve-"));
  const authorizedKeys = join(dir, "authorized");
  mkdirSync(authorizedKeys);
  const server = await writeCertificates(dir, "server");
  const client = generateKeyPair();
  await writeCertificates(authorizedKeys, "client", { keyPair: client });
  return {
    serverSecretFile: server.secretFile,
    authorizedKeys,
    client: { curveServerKey: server.publicKey, curvePublicKey: client.publicKey, curveSecretKey: client.secretKey },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
