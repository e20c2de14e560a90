import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as zmq from "zeromq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeCertificates } from "./certificate.js";
import { HandshakeWatch, type HandshakeFailure } from "./handshake.js";
import { generateKeyPair, type CurveKeyPair } from "./keys.js";
import { CurveAllowList, ZapAuthenticator, type ZapRefusal } from "./zap.js";

// Real CURVE handshakes over tcp loopback, judged by the ZAP handler in this thread.
const server = generateKeyPair();
let dir: string;
let allowed: CurveKeyPair & { file: string };
let auth: ZapAuthenticator;
let allowList: CurveAllowList;
const refusals: ZapRefusal[] = [];
let router: zmq.Router;
let endpoint: string;
const open: zmq.Socket[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zpb-zap-"));
  const keyPair = generateKeyPair();
  const written = await writeCertificates(dir, "allowed", { keyPair });
  allowed = { ...keyPair, file: written.publicFile };
  allowList = await CurveAllowList.load(dir);
  auth = await ZapAuthenticator.acquire();
  auth.allowCurve("test", { allow: allowList, onRefused: (r) => refusals.push(r) });
  router = new zmq.Router({ curveServer: true, curveSecretKey: server.secretKey, zapDomain: "test", linger: 0 });
  await router.bind("tcp://127.0.0.1:*");
  endpoint = router.lastEndpoint!;
  void (async () => {
    for await (const [id, body] of router) await router.send([id!, body!]);
  })().catch(() => {});
});

afterEach(() => {
  for (const socket of open.splice(0)) socket.close();
});

afterAll(async () => {
  router.close();
  await auth.release();
  await rm(dir, { recursive: true, force: true });
});

/** A DEALER that sends one message and reports whether it came back within `ms`, and any handshake failure. */
async function roundTrip(
  options: Partial<zmq.Dealer>,
  ms = 1500,
): Promise<{ echoed: boolean; failures: HandshakeFailure[] }> {
  const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: ms, ...options });
  open.push(dealer);
  const failures: HandshakeFailure[] = [];
  new HandshakeWatch(dealer, (f) => failures.push(f));
  dealer.connect(endpoint);
  await dealer.send("ping");
  try {
    const [reply] = await dealer.receive();
    return { echoed: reply?.toString() === "ping", failures };
  } catch {
    return { echoed: false, failures };
  }
}

const client = (keys: CurveKeyPair, serverKey = server.publicKey) => ({
  curveServerKey: serverKey,
  curvePublicKey: keys.publicKey,
  curveSecretKey: keys.secretKey,
});

describe("ZapAuthenticator with a CURVE allow-list", () => {
  it("lets an allowed key in", async () => {
    expect(await roundTrip(client(allowed))).toEqual({ echoed: true, failures: [] });
  });

  it("refuses an unknown key, reports it with address and key, and the client hears 'refused'", async () => {
    const stranger = generateKeyPair();
    const before = auth.stats.refused;
    const result = await roundTrip(client(stranger), 800);
    expect(result.echoed).toBe(false);
    expect(result.failures[0]).toMatchObject({ kind: "refused", status: 400 });
    expect(auth.stats.refused).toBeGreaterThan(before);
    expect(refusals.at(-1)).toEqual({
      domain: "test",
      address: "127.0.0.1",
      mechanism: "CURVE",
      publicKey: stranger.publicKey,
      reason: "client key not authorized",
    });
    expect(JSON.stringify(refusals)).not.toContain(stranger.secretKey);
  });

  it("a plaintext client gets a mechanism mismatch, a client with the wrong server key gets nothing", async () => {
    const plain = await roundTrip({}, 800);
    expect(plain.echoed).toBe(false);
    expect(plain.failures[0]).toMatchObject({ kind: "protocol", reason: "ERR_ZMTP_MECHANISM_MISMATCH" });
    const wrongServer = await roundTrip(client(allowed, generateKeyPair().publicKey), 800);
    expect(wrongServer.echoed).toBe(false);
    expect(wrongServer.failures.length).toBeGreaterThan(0);
    // ...and the server still serves.
    expect((await roundTrip(client(allowed))).echoed).toBe(true);
  });

  it("reload() takes keys in and out without dropping a connected client", async () => {
    const late = generateKeyPair();
    const lateFile = (await writeCertificates(dir, "late", { keyPair: late })).publicFile;
    expect((await roundTrip(client(late), 800)).echoed).toBe(false);
    await allowList.reload();
    expect(allowList.size).toBe(2);

    // Connected and allowed now: keep this socket open across the next reload.
    const connected = new zmq.Dealer({ linger: 0, receiveTimeout: 1500, ...client(late) });
    open.push(connected);
    connected.connect(endpoint);
    await connected.send("one");
    expect((await connected.receive())[0]?.toString()).toBe("one");

    await unlink(lateFile);
    await allowList.reload();
    expect(allowList.has(late.publicKey)).toBe(false);
    await connected.send("two"); // same connection: still served
    expect((await connected.receive())[0]?.toString()).toBe("two");
    expect((await roundTrip(client(late), 800)).echoed).toBe(false); // a new connection is refused
  });

  it("keeps the old list when the directory cannot be read", async () => {
    const size = allowList.size;
    const gone = await CurveAllowList.load(await mkdtemp(join(tmpdir(), "zpb-zap-gone-")));
    await rm(gone.directory, { recursive: true });
    await expect(gone.reload()).rejects.toMatchObject({ code: "UNREADABLE" });
    expect(allowList.size).toBe(size);
  });
});

describe("ZapAuthenticator", () => {
  it("answers every request, malformed ones with status 500", async () => {
    const asker = new zmq.Dealer({ linger: 0, receiveTimeout: 2000 });
    open.push(asker);
    asker.connect("inproc://zeromq.zap.01");
    await asker.send(["", "2.0", "id-1"]);
    const reply = await asker.receive();
    expect(reply.map(String)).toEqual(["", "1.0", "id-1", "500", "malformed ZAP request", "", ""]);
  });

  it("refuses CURVE clients of a domain without a policy; '*' covers every domain", async () => {
    const other = new zmq.Router({
      curveServer: true,
      curveSecretKey: server.secretKey,
      zapDomain: "other",
      linger: 0,
    });
    open.push(other);
    await other.bind("tcp://127.0.0.1:*");
    const dealer = new zmq.Dealer({ linger: 0, ...client(allowed) });
    open.push(dealer);
    const failures: HandshakeFailure[] = [];
    new HandshakeWatch(dealer, (f) => failures.push(f));
    dealer.connect(other.lastEndpoint!);
    await waitUntil(() => failures.length > 0);
    expect(failures[0]).toMatchObject({ kind: "refused" });

    const remove = auth.allowCurve("*", { allow: "any" });
    try {
      const second = new zmq.Dealer({ linger: 0, ...client(generateKeyPair()) });
      open.push(second);
      const watch = new HandshakeWatch(second);
      second.connect(other.lastEndpoint!);
      await waitUntil(() => watch.succeeded > 0);
    } finally {
      remove();
    }
  });

  it("is shared per context: a second acquire gets the same handler, the last release closes it", async () => {
    const context = new zmq.Context();
    const a = await ZapAuthenticator.acquire(context);
    const b = await ZapAuthenticator.acquire(context);
    expect(b).toBe(a);
    await a.release();
    const probe = new zmq.Router({ context, linger: 0 });
    await expect(probe.bind("inproc://zeromq.zap.01")).rejects.toThrow(); // still bound by b
    await b.release();
    await probe.bind("inproc://zeromq.zap.01"); // free again
    probe.close();
  });
});

async function waitUntil(condition: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
