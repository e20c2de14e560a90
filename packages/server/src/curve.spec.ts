import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envelopeCodec, ping } from "@zpb/proto";
import { generateKeyPair, writeCertificates } from "@zpb/transport";
import * as zmq from "zeromq";
import { describe, expect, it } from "vitest";
import { describeSecurity, RefusalLog } from "./curve.js";
import { isLoopbackEndpoint } from "./endpoints.js";
import { resolveOptions } from "./options.js";
import { startServer } from "./server.js";

describe("isLoopbackEndpoint", () => {
  it.each([
    "tcp://127.0.0.1:5555",
    "tcp://127.1.2.3:*",
    "tcp://localhost:7000",
    "tcp://[::1]:7000",
    "tcp://lo:7000",
    "inproc://anything",
    "ipc:///tmp/zpb.sock",
  ])("%s is loopback", (endpoint) => expect(isLoopbackEndpoint(endpoint)).toBe(true));

  it.each([
    "tcp://0.0.0.0:5555",
    "tcp://*:5555",
    "tcp://10.0.0.5:5555",
    "tcp://eth0:5555",
    "tcp://example.com:5555",
    "tcp://[::]:5555",
    "tcp://127.0.0.1.evil.example:5555",
    "epgm://eth0;239.192.1.1:5555",
    "not an endpoint",
  ])("%s may be reachable from other hosts", (endpoint) => expect(isLoopbackEndpoint(endpoint)).toBe(false));
});

describe("protected mode (curveKey / insecure)", () => {
  it("refuses plaintext on a non-loopback address, naming the flags", () => {
    expect(() => resolveOptions({ bind: ["tcp://0.0.0.0:5555"], echo: false })).toThrow(
      /refusing to serve plaintext on tcp:\/\/0\.0\.0\.0:5555 \(not loopback\).*--curve-key.*--insecure/,
    );
    expect(() => resolveOptions({ bind: ["tcp://127.0.0.1:5555"], echo: "tcp://*:25933" })).toThrow(/tcp:\/\/\*:25933/);
  });

  it("allows it with a CURVE key or with insecure, and loopback always", () => {
    expect(resolveOptions({ bind: ["tcp://0.0.0.0:5555"], insecure: true }).insecure).toBe(true);
    expect(resolveOptions({ bind: ["tcp://0.0.0.0:5555"], curveKey: "server.key_secret" }).curveKey).toMatch(
      /^\/.*server\.key_secret$/,
    );
    expect(resolveOptions({}).curveKey).toBeUndefined();
  });

  it("wants authorizedKeys only together with curveKey", () => {
    expect(() => resolveOptions({ authorizedKeys: "keys" })).toThrow(/authorizedKeys needs curveKey/);
  });
});

describe("RefusalLog", () => {
  it("logs the first refusals of each window with address and key, then one summary line", () => {
    let now = 0;
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const logger = {
      info() {},
      error() {},
      warn: (fields: object, message: string) => lines.push({ fields: fields as Record<string, unknown>, message }),
    };
    const log = new RefusalLog(logger, { now: () => now });
    const refusal = {
      domain: "d",
      address: "10.0.0.9",
      mechanism: "CURVE",
      publicKey: "K".repeat(40),
      reason: "client key not authorized",
    };
    for (let i = 0; i < 20; i++) log.record(refusal);
    expect(log.count).toBe(20);
    expect(lines).toHaveLength(5);
    expect(lines[0]?.message).toBe(
      `refused CURVE client 10.0.0.9 with key ${"K".repeat(40)}: client key not authorized`,
    );
    expect(lines[0]?.fields).toMatchObject({ address: "10.0.0.9", publicKey: "K".repeat(40) });
    now = 10_000;
    log.record(refusal);
    expect(lines[5]?.message).toMatch(/^15 more client\(s\) refused in the last 10 s/);
    expect(lines[6]?.message).toMatch(/^refused CURVE client/);
  });
});

describe("startServer with curveKey", () => {
  it("encrypts every front; without authorizedKeys any client with the server key gets in; the CLI line says so", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zpb-server-curve-"));
    const written = await writeCertificates(dir, "server");
    const server = await startServer({
      bind: ["tcp://127.0.0.1:0"],
      echo: "tcp://127.0.0.1:0",
      workers: 1,
      curveKey: written.secretFile,
    });
    try {
      expect(server.curve?.publicKey).toBe(written.publicKey);
      expect(server.curve?.authorizedKeys).toBeUndefined();
      expect(describeSecurity(server.curve, false)).toBe(
        `CURVE encrypted, not authenticated: any client with the server key is accepted; server public key ${written.publicKey}`,
      );
      const client = generateKeyPair();
      const keys = {
        curveServerKey: written.publicKey,
        curvePublicKey: client.publicKey,
        curveSecretKey: client.secretKey,
      };
      const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: 5000, ...keys });
      const echo = new zmq.Request({ linger: 0, receiveTimeout: 5000, ...keys });
      const plain = new zmq.Request({ linger: 0, receiveTimeout: 500 });
      try {
        dealer.connect(server.endpoints.main[0]!);
        await dealer.send(envelopeCodec.encode(ping(9n)));
        const [reply] = await dealer.receive();
        expect(envelopeCodec.decode(reply!).payload).toMatchObject({ case: "pong" });
        echo.connect(server.endpoints.echo!);
        await echo.send("secret bytes");
        expect((await echo.receive())[0]?.toString()).toBe("secret bytes");
        plain.connect(server.endpoints.main[0]!); // the same front in plaintext: nothing comes back
        await plain.send(envelopeCodec.encode(ping(1n)));
        await expect(plain.receive()).rejects.toMatchObject({ code: "EAGAIN" });
      } finally {
        dealer.close();
        echo.close();
        plain.close();
      }
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("counts a client its allow-list refuses in the refusals (curveClients), and only that one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zpb-server-curve-"));
    const written = await writeCertificates(dir, "server");
    await mkdir(join(dir, "clients"));
    const listed = generateKeyPair();
    await writeCertificates(join(dir, "clients"), "listed", { keyPair: listed });
    const server = await startServer({
      bind: ["tcp://127.0.0.1:0"],
      echo: false,
      workers: 1,
      curveKey: written.secretFile,
      authorizedKeys: join(dir, "clients"),
    });
    const stranger = generateKeyPair();
    const sockets = [listed, stranger].map(
      (own) =>
        new zmq.Dealer({
          linger: 0,
          receiveTimeout: 5000,
          curveServerKey: written.publicKey,
          curvePublicKey: own.publicKey,
          curveSecretKey: own.secretKey,
        }),
    );
    try {
      for (const socket of sockets) socket.connect(server.endpoints.main[0]!);
      await sockets[0]!.send(envelopeCodec.encode(ping(3n)));
      expect(envelopeCodec.decode((await sockets[0]!.receive())[0]!).payload.case).toBe("pong");
      const deadline = Date.now() + 5000;
      while (server.stats().refusals.curveClients < 1 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(server.stats().refusals.curveClients).toBeGreaterThanOrEqual(1);
      expect(server.stats().refusals.curveClients).toBe(server.curve!.refused());
      expect(server.stats().refusals.curveHosts).toBe(0);
    } finally {
      for (const socket of sockets) socket.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails to start with a named reason when the key file is missing or public", async () => {
    await expect(startServer({ workers: 1, curveKey: "/nonexistent/server.key_secret" })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/CURVE: cannot read \/nonexistent\/server\.key_secret: no such file/),
    });
  });
});
