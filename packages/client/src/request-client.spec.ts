import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, ping, pong, seqOf } from "@zpb/proto";
import { RequestClient, type RequestClientOptions } from "./request-client.js";
import { EchoClient } from "./echo-client.js";
import { AbortedError, ClosedError, RemoteError, TimeoutError } from "./errors.js";
import { echoServer, pongServer, silentServer, type TestServer } from "./test-support/servers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(start: Promise<TestServer>): Promise<TestServer> {
  const s = await start;
  cleanups.push(() => s.close());
  return s;
}

function client(options: RequestClientOptions): RequestClient {
  const c = new RequestClient(options);
  cleanups.push(() => c.close());
  return c;
}

describe("RequestClient (Lazy Pirate)", () => {
  it("answers a plain request", async () => {
    const s = await server(pongServer());
    const c = client({ endpoint: s.endpoint });
    await expect(c.request(ping(42))).resolves.toEqual(pong(42));
    expect(c.stats).toEqual({ requests: 1, replies: 1, timeouts: 0, failures: 0 });
  });

  it("retries on a fresh socket after each timeout until the server answers", async () => {
    const s = await server(pongServer({ dropFirst: 2 }));
    const retried: number[] = [];
    const c = client({ endpoint: s.endpoint, timeoutMs: 150, retries: 2, onRetry: (attempt) => retried.push(attempt) });
    await expect(c.request(ping(7))).resolves.toEqual(pong(7));
    expect(s.received).toBe(3);
    expect(retried).toEqual([2, 3]);
    expect(c.stats).toMatchObject({ replies: 1, timeouts: 2, failures: 0 });
  });

  it("fails with TimeoutError after 1 + retries attempts, then recovers on the next request", async () => {
    const s = await server(pongServer({ dropFirst: 3 }));
    const c = client({ endpoint: s.endpoint, timeoutMs: 120, retries: 1 });
    const started = Date.now();
    const error = await c.request(ping(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ code: "TIMEOUT", attempts: 2, timeoutMs: 120 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 110);
    expect(s.received).toBe(2);
    // Third request dropped, fourth answered: the client is usable after a failure.
    await expect(c.request(ping(2))).resolves.toEqual(pong(2));
    expect(c.stats).toMatchObject({ requests: 2, replies: 1, timeouts: 3, failures: 1 });
  });

  it("never waits forever on a silent server, even with retries: 0", async () => {
    const s = await server(silentServer());
    const c = client({ endpoint: s.endpoint, timeoutMs: 100, retries: 0 });
    await expect(c.request(ping(1))).rejects.toMatchObject({ code: "TIMEOUT", attempts: 1 });
  });

  it("times out against an endpoint nobody listens on", async () => {
    const c = client({ endpoint: "tcp://127.0.0.1:1", timeoutMs: 100, retries: 1 });
    await expect(c.request(ping(1))).rejects.toBeInstanceOf(TimeoutError);
  });

  it("surfaces an ErrorReply as RemoteError with its code", async () => {
    const s = await server(pongServer({ failSeqs: [5n] }));
    const c = client({ endpoint: s.endpoint });
    const error = await c.request(ping(5)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: "REMOTE", remoteCode: ErrorCode.CODE_UNKNOWN_PAYLOAD, seq: 5n });
    await expect(c.request(ping(6))).resolves.toEqual(pong(6));
  });

  it("lets concurrent callers take turns on the one REQ socket", async () => {
    const s = await server(pongServer());
    const c = client({ endpoint: s.endpoint });
    const replies = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => c.request(ping(n))));
    expect(replies.map((m) => seqOf(m))).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it("aborts through a signal without waiting for the timeout", async () => {
    const s = await server(silentServer());
    const c = client({ endpoint: s.endpoint, timeoutMs: 10_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    await expect(c.request(ping(1), { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    // after the abort at 50 ms, long before the 10 s timeout
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("close() rejects the request in flight and later ones with ClosedError", async () => {
    const s = await server(silentServer());
    const c = new RequestClient({ endpoint: s.endpoint, timeoutMs: 10_000 });
    const pending = c.request(ping(1));
    const queued = c.request(ping(2));
    setTimeout(() => c.close(), 50);
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    await expect(queued).rejects.toBeInstanceOf(ClosedError);
    await expect(c.request(ping(3))).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("EchoClient", () => {
  it("gets the same bytes back from the raw echo service", async () => {
    const s = await server(echoServer());
    const c = new EchoClient({ endpoint: s.endpoint });
    cleanups.push(() => c.close());
    await expect(c.echoText("Hello world!")).resolves.toBe("Hello world!");
    const bytes = Uint8Array.from([0, 1, 2, 255, 0]);
    expect(Buffer.from(await c.echo(bytes)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("times out like the request client", async () => {
    const s = await server(silentServer());
    const c = new EchoClient({ endpoint: s.endpoint, timeoutMs: 100, retries: 0 });
    cleanups.push(() => c.close());
    await expect(c.echoText("x")).rejects.toBeInstanceOf(TimeoutError);
  });
});
