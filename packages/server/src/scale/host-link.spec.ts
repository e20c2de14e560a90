// CURVE on the host link (link-security.ts): a front with `curveKey` and `hostKeys` in this process, worker
// hosts as real `zpb-server --join` processes (one per process, as in production; the built CLI). What must
// hold: a listed host serves the front's clients; a host with another key, or none, is refused, counted and
// logged on the front, never gets a request, and exits non-zero saying what to fix; a key added to the
// directory is let in after a reload.
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envelopeCodec, ping } from "@zpb/proto";
import { Child, waitUntil, within } from "@zpb/test-support";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { generateKeyPair, writeCertificates, type WrittenCertificates } from "@zpb/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import type { Logger } from "../log.js";
import { startServer, type RunningServer } from "../server.js";
import { CLI, HANDLERS_IN_PLACE, spawnServer } from "../test-support/cli-process.js";

killChildrenAfterEach();

const HOST_HEARTBEAT_MS = 200;
/** How long a host that was refused may take to exit: the handshake, the refusal, the stop. */
const REFUSED_EXIT_MS = 10_000;

/** A logger that keeps every line, for what the front logs about refused hosts. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (_fields: object, message: string) => void lines.push(message);
  return { lines, info: keep, warn: keep, error: keep };
}

/** Stops a joined host the way a supervisor does (SIGTERM, once it handles it); it must exit 0. */
async function stopHost(host: Child): Promise<void> {
  await host.waitFor(HANDLERS_IN_PLACE);
  const ended = await host.stop();
  expect({ code: ended.code, signal: ended.signal, ms: ended.ms }, host.transcript()).toMatchObject({ code: 0 });
}

/** `zpb-server --join` as a process: one worker thread, JSON logs, the test's heartbeat. */
function joiner(backend: string, curve: string[]): Child {
  const args = ["--join", backend, "--workers", "1", "--host-heartbeat", String(HOST_HEARTBEAT_MS)];
  return new Child([CLI, ...args, ...curve, "--log-format", "json", "--stats-interval", "0"], { boundMs: 60_000 });
}

describe("the host link with CURVE (--curve-key, --host-keys; a joiner's --curve-key, --server-key)", () => {
  let dir: string;
  let server: WrittenCertificates;
  let allowed: WrittenCertificates;
  let stranger: WrittenCertificates;
  let late: WrittenCertificates;
  let hostKeys: string;
  let front: RunningServer;
  const log = capturingLogger();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zpb-host-link-"));
    const keys = join(dir, "keys");
    hostKeys = join(dir, "hosts");
    await mkdir(keys);
    await mkdir(hostKeys);
    server = await writeCertificates(keys, "server");
    allowed = await writeCertificates(keys, "allowed");
    stranger = await writeCertificates(keys, "stranger");
    late = await writeCertificates(keys, "late");
    await copyFile(allowed.publicFile, join(hostKeys, "allowed.key"));
    // A pure router: every request must cross the host link, so a host that is not let in serves nothing.
    front = await startServer({
      bind: ["tcp://127.0.0.1:*"],
      echo: false,
      workers: 0,
      backend: "tcp://127.0.0.1:*",
      curveKey: server.secretFile,
      hostKeys,
      hostHeartbeat: HOST_HEARTBEAT_MS,
      logger: log,
    });
  });

  afterAll(async () => {
    await front?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** One Ping through the front as a CURVE client; resolves with the reply's payload case. */
  async function pingThroughFront(timeoutMs = 5000): Promise<string | undefined> {
    const client = generateKeyPair();
    const dealer = new zmq.Dealer({
      linger: 0,
      receiveTimeout: timeoutMs,
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    });
    try {
      dealer.connect(front.endpoints.main[0]!);
      await dealer.send(envelopeCodec.encode(ping(7n)));
      const [reply] = await dealer.receive();
      return envelopeCodec.decode(reply!).payload.case;
    } finally {
      dealer.close();
    }
  }

  const joinedHosts = () => front.scaleOut?.()?.hosts.length ?? 0;
  /** A joiner with `cert` as its own key and the front's public certificate. */
  const curveJoiner = (cert: WrittenCertificates) =>
    joiner(front.endpoints.backend!, ["--curve-key", cert.secretFile, "--server-key", server.publicFile]);

  it("the front's backend is CURVE with its own allow-list, and says so", () => {
    expect(front.curve?.hosts).toMatchObject({ hostKeys });
    expect(front.curve?.hosts?.hostCount()).toBe(1);
    expect(front.curve?.authorizedKeys).toBeUndefined(); // the clients' list is another one
  });

  it("a host whose key is listed joins and serves the front's clients", async () => {
    const host = curveJoiner(allowed);
    await host.waitFor(`this host's public key ${allowed.publicKey}`);
    await waitUntil(() => joinedHosts() === 1, "the host to join", 10_000);
    const before = front.scaleOut!()!.remote;
    expect(await pingThroughFront()).toBe("pong");
    expect(front.scaleOut!()!.remote).toBe(before + 1);
    await stopHost(host);
    await waitUntil(() => joinedHosts() === 0, "the host to leave", 5000);
  });

  it("a host with an unknown key is refused, counted and logged, gets no request, and exits 1 naming its key", async () => {
    const refusedBefore = front.curve!.hosts!.refused();
    const sentBefore = front.scaleOut!()!.remote;
    const host = curveJoiner(stranger);
    const ended = await within(host.done, "the refused host to exit", REFUSED_EXIT_MS);
    expect(ended.code, host.transcript()).toBe(1);
    expect(ended.stdout).toContain(`refused this host's CURVE key ${stranger.publicKey}`);
    expect(ended.stdout).toContain("--host-keys");
    expect(front.curve!.hosts!.refused()).toBeGreaterThan(refusedBefore);
    expect(front.stats().refusals.curveHosts).toBe(front.curve!.hosts!.refused());
    expect(log.lines).toContain(
      `refused CURVE host 127.0.0.1 with key ${stranger.publicKey}: client key not authorized`,
    );
    expect(joinedHosts()).toBe(0);
    expect(front.scaleOut!()!.remote).toBe(sentBefore);
  });

  it("a plaintext host never gets work from a CURVE backend, and exits 1", async () => {
    const sentBefore = front.scaleOut!()!.remote;
    const host = joiner(front.endpoints.backend!, []);
    const ended = await within(host.done, "the plaintext host to exit", REFUSED_EXIT_MS);
    expect(ended.code, host.transcript()).toBe(1);
    expect(ended.stdout).toContain("this host (plaintext) disagree on security");
    expect(joinedHosts()).toBe(0);
    expect(front.scaleOut!()!.remote).toBe(sentBefore);
  });

  it("a key added to the directory gets in after a reload (SIGHUP in zpb-server)", async () => {
    const refused = curveJoiner(late);
    expect((await within(refused.done, "the unlisted host to exit", REFUSED_EXIT_MS)).code).toBe(1);
    await copyFile(late.publicFile, join(hostKeys, "late.key"));
    expect(await front.curve!.hosts!.reload()).toMatchObject({ keys: 2, skipped: [] });
    const host = curveJoiner(late);
    await waitUntil(() => joinedHosts() === 1, "the newly listed host to join", 10_000);
    expect(await pingThroughFront()).toBe("pong");
    await stopHost(host);
  });
});

describe("zpb-server --backend with --curve-key --host-keys", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zpb-host-link-cli-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("says the host link is CURVE, logs refused hosts, and lets a host in once SIGHUP re-read the directory", async () => {
    // A directory whose name makes `…/server.key` exactly 40 Z85 characters (when the temporary directory's
    // path is short enough): a path that looks like a key must still be read as the certificate file it is.
    const pad = 40 - join(dir, "/server.key").length;
    const keys = pad > 0 ? join(dir, "k".repeat(pad - 1)) : dir;
    if (keys !== dir) await mkdir(keys);
    const hostKeys = join(dir, "hosts");
    await mkdir(hostKeys);
    const server = await writeCertificates(keys, "server");
    const host = await writeCertificates(keys, "host");
    if (pad > 0) expect(server.publicFile).toHaveLength(40);
    const front = await spawnServer([
      "--workers",
      "1",
      "--backend",
      "tcp://127.0.0.1:*",
      "--curve-key",
      server.secretFile,
      "--host-keys",
      hostKeys,
      "--host-heartbeat",
      String(HOST_HEARTBEAT_MS),
    ]);
    const startup = front.stdout.find((line) => line.includes('"endpoints"'))!;
    expect(startup).toContain(`hosts join over CURVE: 0 host key(s) from ${hostKeys}`);
    const backend = (JSON.parse(startup) as { endpoints: { backend: string } }).endpoints.backend;
    const curve = ["--curve-key", host.secretFile, "--server-key", server.publicFile];

    const refused = joiner(backend, curve);
    expect((await within(refused.done, "the unlisted host to exit", REFUSED_EXIT_MS)).code).toBe(1);
    await front.child.waitFor(`refused CURVE host 127.0.0.1 with key ${host.publicKey}`);

    await copyFile(host.publicFile, join(hostKeys, "host.key"));
    front.child.kill("SIGHUP");
    await front.child.waitFor(`SIGHUP: reloaded the host keys: 1 host key(s) from ${hostKeys}`);
    const joined = joiner(backend, curve);
    await front.child.waitFor("a host joined with 1 worker(s)");
    await stopHost(joined);
    await front.child.waitFor(HANDLERS_IN_PLACE);
    expect((await front.child.stop()).code, front.child.transcript()).toBe(0);
  });
});
