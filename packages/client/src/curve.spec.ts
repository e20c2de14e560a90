import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ping, seqOf } from "@zpb/proto";
import {
  CurveServerSecurity,
  generateKeyPair,
  readSecretCertificateSync,
  writeCertificates,
  type WrittenCertificates,
  type ZapRefusal,
} from "@zpb/transport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EchoClient } from "./echo-client.js";
import { HandshakeError, TimeoutError } from "./errors.js";
import { PipelinedClient } from "./pipelined-client.js";
import { TopicPublisher } from "./publisher.js";
import { RequestClient } from "./request-client.js";
import { Subscription } from "./subscription.js";
import { echoServer, pongServer, type TestServer } from "./test-support/servers.js";

// Every client against CURVE servers in this process, judged by the ZAP handler of this thread.
let dir: string;
let authorized: string;
let server: WrittenCertificates;
let allowed: WrittenCertificates;
let security: CurveServerSecurity;
let pongs: TestServer;
const refusals: ZapRefusal[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zpb-client-curve-"));
  authorized = join(dir, "authorized");
  await mkdir(authorized);
  server = await writeCertificates(dir, "server");
  allowed = await writeCertificates(dir, "allowed");
  await writeCertificates(authorized, "allowed", { keyPair: secretOf(allowed) });
  security = await CurveServerSecurity.start({
    secretKey: server.secretFile,
    authorizedKeys: authorized,
    onRefused: (r) => refusals.push(r),
  });
  pongs = await pongServer({ socket: security.socketOptions });
});

afterAll(async () => {
  await pongs.close();
  await security.close();
  await rm(dir, { recursive: true, force: true });
});

/** The key pair of certificates written by the test, to put the same key in an authorized directory. */
function secretOf(written: WrittenCertificates) {
  const { publicKey, secretKey } = readSecretCertificateSync(written.secretFile);
  return { publicKey, secretKey };
}

describe("RequestClient over CURVE", () => {
  it("gets Pongs with certificate files for both keys", async () => {
    const client = new RequestClient({
      endpoint: pongs.endpoint,
      curve: { serverKey: server.publicFile, secretKey: allowed.secretFile },
    });
    try {
      expect(seqOf(await client.request(ping(7)))).toBe(7n);
    } finally {
      client.close();
    }
  });

  it("fails fast with HandshakeError REFUSED, without retries, when its key is not authorized", async () => {
    const stranger = generateKeyPair();
    const client = new RequestClient({
      endpoint: pongs.endpoint,
      timeoutMs: 10_000,
      retries: 3,
      curve: { serverKey: server.publicKey, secretKey: stranger.secretKey },
    });
    const started = performance.now();
    try {
      const error = await client.request(ping(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).code).toBe("REFUSED");
      expect((error as HandshakeError).message).toMatch(/refused this client's CURVE key/);
      expect(performance.now() - started).toBeLessThan(5_000); // far below one 10 s attempt
      expect(client.stats.timeouts).toBe(0);
      expect(refusals.some((r) => r.publicKey === stranger.publicKey)).toBe(true);
    } finally {
      client.close();
    }
  });

  it("times out with a hint when the server key is wrong (the server just hangs up)", async () => {
    const client = new RequestClient({
      endpoint: pongs.endpoint,
      timeoutMs: 400,
      retries: 0,
      curve: { serverKey: generateKeyPair().publicKey, secretKey: allowed.secretFile },
    });
    try {
      const error = await client.request(ping(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toMatch(
        new RegExp(`no CURVE handshake with .* completed.*check the server key.*${escapeRegExp(allowed.publicKey)}`),
      );
      expect((error as Error).message).not.toContain(secretOf(allowed).secretKey);
    } finally {
      client.close();
    }
  });

  it("without a key pair, uses one generated once for the whole process", async () => {
    const before = refusals.length;
    for (let i = 0; i < 2; i++) {
      const client = new RequestClient({
        endpoint: pongs.endpoint,
        retries: 0,
        curve: { serverKey: server.publicKey },
      });
      await expect(client.request(ping(1))).rejects.toMatchObject({ code: "REFUSED" });
      client.close();
    }
    const keys = refusals.slice(before).map((r) => r.publicKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("rejects bad keys in the constructor, naming the key and never quoting a secret", () => {
    expect(() => new RequestClient({ curve: { serverKey: "no-such-file.key" } })).toThrow(/no-such-file\.key/);
    expect(() => new RequestClient({ curve: { serverKey: server.publicKey, secretKey: server.publicFile } })).toThrow(
      expect.objectContaining({ code: "NO_SECRET_KEY" }),
    );
  });
});

describe("EchoClient over CURVE", () => {
  it("echoes through an encrypted echo server", async () => {
    const echo = await echoServer(security.socketOptions);
    const client = new EchoClient({
      endpoint: echo.endpoint,
      curve: { serverKey: server.publicKey, secretKey: allowed.secretFile },
    });
    try {
      expect(await client.echoText("over CURVE")).toBe("over CURVE");
    } finally {
      client.close();
      await echo.close();
    }
  });
});

describe("PipelinedClient over CURVE", () => {
  it("serves a window of requests, and a refused client fails its requests fast, then gets in once authorized", async () => {
    const good = new PipelinedClient({
      endpoint: pongs.endpoint,
      curve: { serverKey: server.publicFile, secretKey: allowed.secretFile },
    });
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => good.request(ping(i + 1))));
    expect(replies.map(seqOf)).toEqual(Array.from({ length: 50 }, (_, i) => BigInt(i + 1)));
    await good.close();

    const late = await writeCertificates(dir, "late");
    const client = new PipelinedClient({
      endpoint: pongs.endpoint,
      timeoutMs: 10_000,
      curve: { serverKey: server.publicKey, secretKey: late.secretFile },
    });
    try {
      await expect(client.request(ping(1))).rejects.toMatchObject({ code: "REFUSED" });
      await expect(client.request(ping(2))).rejects.toMatchObject({ code: "REFUSED" }); // at once, not after 10 s
      await writeCertificates(authorized, "late", { keyPair: secretOf(late) });
      await security.reload();
      const deadline = Date.now() + 8000;
      for (let seq = 3; ; seq++) {
        const reply = await client.request(ping(seq), { timeoutMs: 2000 }).catch((e: unknown) => e);
        if (!(reply instanceof Error)) {
          expect(seqOf(reply as never)).toBe(BigInt(seq));
          break;
        }
        expect((reply as HandshakeError).code).toBe("REFUSED");
        if (Date.now() > deadline) throw new Error("never let in after the allow-list reload");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await client.close();
    }
  });
});

describe("PUB/SUB over CURVE", () => {
  it("the publisher is the CURVE server; an authorized subscriber receives, a stranger is refused", async () => {
    const subscribers = await writeCertificates(dir, "subscriber");
    const subscriberDir = join(dir, "subscribers");
    await mkdir(subscriberDir);
    await writeCertificates(subscriberDir, "subscriber", { keyPair: secretOf(subscribers) });
    const publisher = await TopicPublisher.bind({
      endpoint: "tcp://127.0.0.1:*",
      curve: { secretKey: server.secretFile, authorizedKeys: subscriberDir },
    });
    const sub = new Subscription({
      endpoint: publisher.endpoint,
      topics: ["quote."],
      curve: { serverKey: publisher.publicKey!, secretKey: subscribers.secretFile },
    });
    const stranger = new Subscription({
      endpoint: publisher.endpoint,
      curve: { serverKey: publisher.publicKey!, secretKey: generateKeyPair().secretKey },
    });
    try {
      await publisher.waitForSubscribers(1, { topic: "quote.A", timeoutMs: 5000 });
      await publisher.publish("quote.A", ping(1));
      const got = await sub.next({ timeoutMs: 5000 });
      expect(got?.topic).toBe("quote.A");
      expect(seqOf(got!.message)).toBe(1n);
      await expect(stranger.next({ timeoutMs: 5000 })).rejects.toMatchObject({ code: "REFUSED" });
      // The stranger never subscribed: only one subscription reached the publisher.
      await expect(publisher.waitForSubscribers(2, { timeoutMs: 300 })).rejects.toMatchObject({ code: "TIMEOUT" });
    } finally {
      sub.close();
      stranger.close();
      publisher.close();
    }
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
