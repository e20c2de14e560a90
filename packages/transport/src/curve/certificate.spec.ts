import { mkdtemp, readFile, rm, stat, chmod, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as zmq from "zeromq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CurveError } from "../errors.js";
import {
  loadPublicKeys,
  parseCertificate,
  readCertificate,
  readSecretCertificateSync,
  secretFileModeProblem,
  writeCertificates,
} from "./certificate.js";
import { isCurveKey, publicKeyOf } from "./keys.js";
import { curveClientOptions } from "./options.js";

const FIXTURES = fileURLToPath(new URL("../test-support/certificates/", import.meta.url));
// What pyzmq 24's zmq.auth.create_certificates(".", "pyzmq-client", metadata=…) wrote (see FIXTURES).
const PYZMQ_PUBLIC = "+EBblck7]uh+U{w/[2#Xe?X*x?eQpBHN:}S&>v[<";
// A test-only key pair (from zmq.curve_keypair()), written below in the shapes czmq and hand-editing produce.
const PUBLIC = "=PPM6IJC0JH]ib:g*CF+w2mbDlye?$:1a)#!OUUq";
const SECRET = "eol3[mO%O}N*1tO-.WlbV9[VNP8$:6Ag6F}3vY^9";

const CZMQ_SECRET = `#   ****  Generated on 2026-12-02 15:57:17 by CZMQ  ****
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

metadata
    name = "czmq server"
    organization = "zpb tests"
curve
    public-key = "${PUBLIC}"
    secret-key = "${SECRET}"
`;

describe("parseCertificate", () => {
  it("reads pyzmq's public and secret certificates, metadata included", async () => {
    const pub = await readCertificate(join(FIXTURES, "pyzmq-client.key"));
    expect(pub).toEqual({ publicKey: PYZMQ_PUBLIC, metadata: {} });
    const secret = readSecretCertificateSync(join(FIXTURES, "pyzmq-client.key_secret"));
    expect(secret.publicKey).toBe(PYZMQ_PUBLIC);
    expect(publicKeyOf(secret.secretKey)).toBe(PYZMQ_PUBLIC);
    expect(secret.metadata).toEqual({ name: "alice", email: "alice@example.com" }); // pyzmq writes them bare
  });

  it("reads czmq's zcert format", () => {
    expect(parseCertificate(CZMQ_SECRET)).toEqual({
      publicKey: PUBLIC,
      secretKey: SECRET,
      metadata: { name: "czmq server", organization: "zpb tests" },
    });
  });

  it("tolerates CRLF, a BOM, tabs, single quotes, bare values with '#', and comments after values", () => {
    const edited = [
      "\uFEFF# edited by hand on Windows",
      "metadata",
      "curve   # the keys",
      `\tpublic-key = '${PUBLIC}'   # ours`,
      `    secret-key = ${SECRET} # bare, and Z85 has '#' and '$' in it`,
      "",
    ].join("\r\n");
    expect(parseCertificate(edited)).toMatchObject({ publicKey: PUBLIC, secretKey: SECRET });
  });

  it("refuses files that are not certificates, with a reason and without quoting the secret", () => {
    const cases: Array<[string, RegExp]> = [
      ["metadata\n", /no curve public-key/],
      [`curve\n    public-key = "${PUBLIC.slice(0, 30)}"\n`, /public-key is not 40 characters/],
      [`curve\n    public-key = "${PUBLIC}\n`, /unterminated " quote/],
      [`curve\n    secret-key "${SECRET}"\n`, /line 2: neither a ZPL name/],
      [
        `curve\n    public-key = "${zmq.curveKeyPair().publicKey}"\n    secret-key = "${SECRET}"\n`,
        /does not belong to its secret-key/,
      ],
    ];
    for (const [text, reason] of cases) {
      let error: unknown;
      try {
        parseCertificate(text, "x.key_secret");
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(CurveError);
      expect((error as CurveError).code).toBe("BAD_CERTIFICATE");
      expect((error as CurveError).message).toMatch(reason);
      expect((error as CurveError).message).not.toContain(SECRET);
    }
  });

  it("tells a public certificate given for a secret one apart", () => {
    let error: unknown;
    try {
      readSecretCertificateSync(join(FIXTURES, "pyzmq-client.key"));
    } catch (e) {
      error = e;
    }
    expect((error as CurveError).code).toBe("NO_SECRET_KEY");
    expect((error as CurveError).message).toContain("pyzmq-client.key_secret");
  });
});

describe("writeCertificates and loadPublicKeys", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "zpb-certs-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes NAME.key and NAME.key_secret (mode 0600) that read back as one pair", async () => {
    const written = await writeCertificates(dir, "server", { metadata: { name: "server" } });
    expect(written.publicFile).toBe(join(dir, "server.key"));
    expect((await stat(written.secretFile)).mode & 0o777).toBe(0o600);
    const secret = readSecretCertificateSync(written.secretFile);
    expect(secret.publicKey).toBe(written.publicKey);
    expect(publicKeyOf(secret.secretKey)).toBe(written.publicKey);
    const pub = await readCertificate(written.publicFile);
    expect(pub).toEqual({ publicKey: written.publicKey, metadata: { name: "server" } });
    expect(await readFile(written.publicFile, "utf8")).not.toContain("secret-key");
    expect(secretFileModeProblem(written.secretFile)).toBeUndefined();
  });

  it("reads a certificate whose path is itself 40 characters of Z85 as a file, not as a key", async () => {
    // "/tmp/zpb-certs-XXXXXX/server.key" has 32 characters; a sub-directory of the right length makes 40.
    const sub = join(dir, "d".repeat(40 - dir.length - "/server.key".length - 1));
    await mkdir(sub);
    const written = await writeCertificates(sub, "server");
    expect(written.publicFile).toHaveLength(40);
    expect(isCurveKey(written.publicFile)).toBe(true);
    const options = curveClientOptions({ serverKey: written.publicFile, secretKey: written.secretFile });
    expect(options.curveServerKey).toBe(written.publicKey);
  });

  it("never overwrites unless asked", async () => {
    const first = await writeCertificates(dir, "a");
    await expect(writeCertificates(dir, "a")).rejects.toThrow(/exists; not overwriting/);
    expect((await readCertificate(first.publicFile)).publicKey).toBe(first.publicKey);
    await chmod(first.secretFile, 0o644);
    const second = await writeCertificates(dir, "a", { overwrite: true });
    expect(second.publicKey).not.toBe(first.publicKey);
    expect((await stat(second.secretFile)).mode & 0o777).toBe(0o600);
  });

  it("warns about a secret file others can read, as ssh does", async () => {
    const { secretFile } = await writeCertificates(dir, "a");
    await chmod(secretFile, 0o640);
    expect(secretFileModeProblem(secretFile)).toMatch(/accessible by others \(mode 0640\).*chmod 600/);
  });

  it("loads every *.key of a directory as an allow-list, skipping (and reporting) bad files", async () => {
    const a = await writeCertificates(dir, "a");
    const b = await writeCertificates(dir, "b");
    await writeFile(join(dir, "broken.key"), "curve\n    public-key = nope\n");
    await writeFile(join(dir, "notes.txt"), "not a certificate");
    await mkdir(join(dir, "sub.key"));
    const loaded = await loadPublicKeys(dir);
    expect(loaded.keys).toEqual(new Set([a.publicKey, b.publicKey]));
    expect(loaded.skipped.map((s) => s.file)).toEqual([join(dir, "broken.key"), join(dir, "sub.key")]);
    await expect(loadPublicKeys(join(dir, "missing"))).rejects.toMatchObject({ code: "UNREADABLE" });
  });
});
