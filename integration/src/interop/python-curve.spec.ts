// CURVE between zpb and pyzmq, over tcp loopback, with real processes: the zpb server with an allow-list
// (--curve-key, --authorized-keys) against pyzmq clients; certificates made by pyzmq used by zpb and made
// by zpb used by pyzmq (client and server side, pyzmq's own ThreadAuthenticator included); SIGHUP reloads;
// and the server's refusal to serve plaintext to the network.
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Child, SERVER_CLI, ServerProcess, freePort, zpb } from "../client/support.js";
import { PythonPeers, generatePythonCode, requirePrerequisites, type PeerResult } from "./python-peer.js";

const COUNT = "20";

describe("CURVE between zpb and pyzmq", { timeout: 60_000 }, () => {
  let generated: ReturnType<typeof generatePythonCode> | undefined;
  let peers: PythonPeers;
  let server: ServerProcess | undefined;
  let dir: string;
  const files = {
    server: "", // zpb-made server pair
    serverSecret: "",
    zpbClientSecret: "", // zpb-made client pair, authorized
    pyClientSecret: "", // pyzmq-made client pair, authorized
    pyStrangerSecret: "", // pyzmq-made, never authorized
    pyStrangerPublicKey: "",
    authorized: "",
  };

  /** pyzmq's create_certificates(DIR, NAME). */
  async function pyKeygen(
    out: string,
    name: string,
  ): Promise<{ publicFile: string; secretFile: string; publicKey: string }> {
    const result = await peers.run(["keygen", "--out", out, "--name", name]);
    expect(result.code, result.stderr).toBe(0);
    return result.summary as unknown as { publicFile: string; secretFile: string; publicKey: string };
  }

  /** `zpb keygen --out DIR --name NAME`. */
  async function zpbKeygen(out: string, name: string): Promise<void> {
    const run = await zpb(["keygen", "--out", out, "--name", name]);
    expect(run.code, run.stderr).toBe(0);
  }

  beforeAll(async () => {
    requirePrerequisites();
    generated = generatePythonCode();
    peers = new PythonPeers(generated.dir);
    dir = await mkdtemp(join(tmpdir(), "zpb-curve-interop-"));
    const keys = join(dir, "keys");
    files.authorized = join(dir, "authorized");
    await mkdir(keys);
    await mkdir(files.authorized);
    await zpbKeygen(keys, "server");
    files.server = join(keys, "server.key");
    files.serverSecret = join(keys, "server.key_secret");
    await zpbKeygen(keys, "zpb-client");
    files.zpbClientSecret = join(keys, "zpb-client.key_secret");
    await copyFile(join(keys, "zpb-client.key"), join(files.authorized, "zpb-client.key"));
    const py = await pyKeygen(keys, "py-client");
    files.pyClientSecret = py.secretFile;
    await copyFile(py.publicFile, join(files.authorized, "py-client.key"));
    const stranger = await pyKeygen(keys, "py-stranger");
    files.pyStrangerSecret = stranger.secretFile;
    files.pyStrangerPublicKey = stranger.publicKey;
    server = await ServerProcess.start(["--curve-key", files.serverSecret, "--authorized-keys", files.authorized]);
  }, 40_000);
  afterEach(() => peers?.killAll());
  afterAll(async () => {
    await server?.stop();
    generated?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 25_000);

  const req = (extra: string[], timeout = "8") =>
    peers.run(["req", "--connect", server!.endpoint, "--count", COUNT, "--timeout", timeout, ...extra]);

  function expectPongs(result: PeerResult): void {
    expect(result.summary, `peer.py stderr: ${result.stderr}\nserver log:\n${server?.log}`).toMatchObject({
      ok: true,
      received: Number(COUNT),
    });
  }

  function expectNothing(result: PeerResult): void {
    expect(result.code).toBe(1);
    expect(result.summary).toMatchObject({ ok: false, received: 0 });
  }

  it("says on start-up that clients are encrypted and authenticated, with the server's public key", async () => {
    await server!.waitFor("server public key");
    expect(server!.log).toMatch(
      /CURVE encrypted and authenticated: 2 client key\(s\) from .*authorized; server public key/,
    );
  });

  it("an allowed pyzmq client with a pyzmq-made key and the zpb-made server certificate gets Pongs", async () => {
    expectPongs(await req(["--curve-server-key", files.server, "--curve-cert", files.pyClientSecret]));
  });

  it("pyzmq reads a zpb-made client certificate", async () => {
    expectPongs(await req(["--curve-server-key", files.server, "--curve-cert", files.zpbClientSecret]));
  });

  it("an unknown key, a plaintext client and a wrong server key get nothing, and the server keeps serving", async () => {
    expectNothing(await req(["--curve-server-key", files.server, "--curve-cert", files.pyStrangerSecret], "1.5"));
    await server!.waitFor(`with key ${files.pyStrangerPublicKey}: client key not authorized`);
    expectNothing(await req([], "1.5"));
    const wrongServer = join(dir, "wrong");
    await mkdir(wrongServer, { recursive: true });
    const other = await pyKeygen(wrongServer, "other-server");
    expectNothing(await req(["--curve-server-key", other.publicFile, "--curve-cert", files.pyClientSecret], "1.5"));
    expectPongs(await req(["--curve-server-key", files.server, "--curve-cert", files.pyClientSecret]));
  });

  it("SIGHUP reloads the allow-list: a newly listed key gets in", async () => {
    const late = await pyKeygen(join(dir, "keys"), "py-late");
    expectNothing(await req(["--curve-server-key", files.server, "--curve-cert", late.secretFile], "1.5"));
    await copyFile(late.publicFile, join(files.authorized, "py-late.key"));
    server!.signal("SIGHUP");
    await server!.waitFor("reloaded the authorized keys: 3 client key(s)");
    expectPongs(await req(["--curve-server-key", files.server, "--curve-cert", late.secretFile]));
  });

  it("`zpb ping --server-key … --key …` gets through, with zpb-made and with pyzmq-made certificates", async () => {
    for (const key of [files.zpbClientSecret, files.pyClientSecret]) {
      const run = await zpb(["ping", "-e", server!.endpoint, "-c", "3", "--server-key", files.server, "--key", key]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain("3 sent, 3 received, 0 lost");
    }
    const echo = await zpb([
      "echo",
      "secret",
      "-e",
      server!.echoEndpoint,
      "--server-key",
      files.server,
      "--key",
      files.zpbClientSecret,
    ]);
    expect(echo.stdout).toContain("<- secret");
  });

  it("a pyzmq server with pyzmq-made keys and pyzmq's ThreadAuthenticator accepts a zpb client with a zpb-made key", async () => {
    const pyDir = join(dir, "py-server");
    const pyAuthorized = join(pyDir, "authorized");
    await mkdir(pyAuthorized, { recursive: true });
    const pyServer = await pyKeygen(pyDir, "server");
    await copyFile(join(dir, "keys", "zpb-client.key"), join(pyAuthorized, "zpb-client.key"));
    const rep = peers.start([
      "rep",
      "--count",
      "3",
      "--timeout",
      "15",
      "--curve-cert",
      pyServer.secretFile,
      "--authorized-keys",
      pyAuthorized,
    ]);
    const endpoint = await rep.ready();
    const run = await zpb([
      "ping",
      "-e",
      endpoint,
      "-c",
      "3",
      "--server-key",
      pyServer.publicFile,
      "--key",
      files.zpbClientSecret,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect((await rep.result()).summary).toMatchObject({ ok: true, received: 3 });
  });
});

describe("zpb-server's protected mode", { timeout: 40_000 }, () => {
  it("refuses to bind 0.0.0.0 without --curve-key, naming the flag; starts with --insecure", async () => {
    const port = await freePort();
    const refused = await new Child([SERVER_CLI, "--bind", `tcp://0.0.0.0:${port}`, "--echo", "off"], {
      boundMs: 20_000,
    }).done;
    expect(refused.code).toBe(1);
    expect(refused.stdout + refused.stderr).toMatch(
      /refusing to serve plaintext on tcp:\/\/0\.0\.0\.0:\d+ .*--curve-key/,
    );

    const insecure = new Child(
      [SERVER_CLI, "--bind", `tcp://0.0.0.0:${port}`, "--echo", "off", "--insecure", "--workers", "1"],
      { boundMs: 30_000 },
    );
    try {
      await insecure.waitFor("zpb server:", 20_000);
      const run = await zpb(["ping", "-e", `tcp://127.0.0.1:${port}`, "-c", "1"]);
      expect(run.code, run.stderr).toBe(0);
      expect(insecure.stdout + insecure.stderr).toContain("plaintext (--insecure)");
    } finally {
      insecure.kill("SIGTERM");
      await insecure.done;
    }
  });
});
