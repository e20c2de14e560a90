import { chmod, mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CurveServerSecurity, readCertificate, readSecretCertificateSync, writeCertificates } from "@zpb/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { echoServer, pongServer, type TestServer } from "../test-support/servers.js";
import { freePort } from "@zpb/test-support";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { jsonLines, start, ZPB, zpb } from "../test-support/run.js";

// The zpb CLI's CURVE flags against CURVE servers in this test process (allow-list: one client key).
let dir: string;
let security: CurveServerSecurity;
let pongs: TestServer;
let echo: TestServer;
const keys = { server: "", serverSecret: "", client: "", clientSecret: "" };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zpb-cli-curve-"));
  const run = await zpb(["keygen", "--out", join(dir, "keys"), "--name", "server"]);
  expect(run.code).toBe(0);
  keys.server = join(dir, "keys", "server.key");
  keys.serverSecret = join(dir, "keys", "server.key_secret");
  const client = await zpb(["keygen", "--out", join(dir, "keys"), "--name", "client", "--json"]);
  keys.client = join(dir, "keys", "client.key");
  keys.clientSecret = join(dir, "keys", "client.key_secret");
  expect(jsonLines(client.stdout)[0]?.publicFile).toBe(keys.client);
  await mkdir(join(dir, "authorized"));
  const { publicKey, secretKey } = readSecretCertificateSync(keys.clientSecret);
  await writeCertificates(join(dir, "authorized"), "client", { keyPair: { publicKey, secretKey } });
  security = await CurveServerSecurity.start({ secretKey: keys.serverSecret, authorizedKeys: join(dir, "authorized") });
  pongs = await pongServer({ socket: security.socketOptions });
  echo = await echoServer(security.socketOptions);
});

killChildrenAfterEach();

/** `args` with the server's public certificate and the authorized client's secret one. */
const withKeys = (args: string[]): string[] => [...args, "--server-key", keys.server, "--key", keys.clientSecret];

afterAll(async () => {
  await pongs?.close();
  await echo?.close();
  await security?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("zpb keygen", () => {
  it("writes a public certificate and a 0600 secret one, printing only the public key", async () => {
    const run = await zpb(["keygen", "--out", join(dir, "k1"), "--name", "alice", "--json"]);
    expect(run.code).toBe(0);
    const [record] = jsonLines(run.stdout);
    const secretFile = join(dir, "k1", "alice.key_secret");
    expect(record).toEqual({
      type: "keygen",
      publicFile: join(dir, "k1", "alice.key"),
      secretFile,
      publicKey: (await readCertificate(join(dir, "k1", "alice.key"))).publicKey,
    });
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const { secretKey } = readSecretCertificateSync(secretFile);
    expect(run.stdout + run.stderr).not.toContain(secretKey);
    expect(await readFile(join(dir, "k1", "alice.key"), "utf8")).toContain('name = "alice"');
  });

  it("refuses to overwrite a pair unless --force", async () => {
    const again = await zpb(["keygen", "--out", join(dir, "keys"), "--name", "server"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/server\.key exists; not overwriting it \(--force replaces the pair\)/);
  });
});

describe("zpb with --server-key and --key", () => {
  it("ping and echo get through with the server's public certificate and the client's secret one", async () => {
    const ping = await zpb(withKeys(["ping", "-e", pongs.endpoint, "-c", "3"]));
    expect(ping.stderr).toBe("");
    expect(ping.code).toBe(0);
    expect(ping.stdout).toContain("3 sent, 3 received, 0 lost");
    const serverKey = (await readCertificate(keys.server)).publicKey; // the Z85 form works too
    const text = await zpb(["echo", "hi", "-e", echo.endpoint, "--server-key", serverKey, "--key", keys.clientSecret]);
    expect(text.stdout).toContain("<- hi");
  });

  it("dealer runs a window over CURVE", async () => {
    const run = await zpb(withKeys(["dealer", "-e", pongs.endpoint, "-c", "200", "-w", "20", "--json"]));
    expect(run.code).toBe(0);
    expect(jsonLines(run.stdout).at(-1)).toMatchObject({ received: 200, lost: 0 });
  });

  it("a client whose key the server does not list fails fast with REFUSED, never printing a secret", async () => {
    const stranger = join(dir, "stranger");
    await zpb(["keygen", "--out", stranger, "--name", "s"]);
    const run = await zpb([
      "ping",
      "-e",
      pongs.endpoint,
      "-t",
      "10000",
      "--server-key",
      keys.server,
      "--key",
      join(stranger, "s.key_secret"),
      "--json",
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/zpb: REFUSED: the server at .* refused this client's CURVE key/);
    expect(run.ms).toBeLessThan(8000);
    const { secretKey } = readSecretCertificateSync(join(stranger, "s.key_secret"));
    expect(run.stdout + run.stderr).not.toContain(secretKey);
  });

  it("without --server-key against a CURVE server: silence, and a timeout", async () => {
    const run = await zpb(["ping", "-e", pongs.endpoint, "-c", "1", "-t", "300", "-r", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("server unreachable or silent");
  });

  it("refuses a key on the command line, and --key without --server-key", async () => {
    const { secretKey } = readSecretCertificateSync(keys.clientSecret);
    const inline = await zpb(["ping", "-e", pongs.endpoint, "--server-key", keys.server, "--key", secretKey]);
    expect(inline.code).toBe(1);
    expect(inline.stderr).toContain("--key takes a secret certificate file, not a key");
    expect(inline.stderr).not.toContain(secretKey);
    const alone = await zpb(["ping", "-e", pongs.endpoint, "--key", keys.clientSecret]);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain("--key needs --server-key");
  });

  it("warns, as ssh does, when the secret certificate is readable by others", async () => {
    await chmod(keys.clientSecret, 0o644);
    try {
      const run = await zpb(withKeys(["ping", "-e", pongs.endpoint, "-c", "1"]));
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/WARNING: .*client\.key_secret is accessible by others \(mode 0644\).*chmod 600/);
    } finally {
      await chmod(keys.clientSecret, 0o600);
    }
  });

  it("a public certificate given as --key is named as such", async () => {
    const run = await zpb(["ping", "-e", pongs.endpoint, "--server-key", keys.server, "--key", keys.client]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/NO_SECRET_KEY: .*client\.key holds only a public key/);
  });
});

describe("zpb publish --key / subscribe --server-key", () => {
  it("an authorized subscriber receives; the publisher names a refused one", async () => {
    const subscribers = join(dir, "subscribers");
    await mkdir(subscribers, { recursive: true });
    const { publicKey, secretKey } = readSecretCertificateSync(keys.clientSecret);
    await writeCertificates(subscribers, "client", { keyPair: { publicKey, secretKey }, overwrite: true });
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const pub = start(
      ZPB,
      [
        "publish",
        "-e",
        endpoint,
        "--topic",
        "T",
        "--rate",
        "50",
        "-c",
        "0",
        "--key",
        keys.serverSecret,
        "--authorized-keys",
        subscribers,
      ],
      20_000,
    );
    await pub.waitFor("CURVE: encrypted");
    const sub = await zpb(withKeys(["subscribe", "-e", endpoint, "--topic", "T", "-c", "3"]));
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain("received 3 messages");
    const stranger = await zpb([
      "subscribe",
      "-e",
      endpoint,
      "--topic",
      "T",
      "-c",
      "1",
      "-t",
      "3000",
      "--server-key",
      keys.server,
    ]);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("REFUSED");
    await pub.waitFor("refused subscriber 127.0.0.1 with key");
    pub.kill("SIGINT");
    await pub.done;
  });
});
