// Clients over several servers of one service (the zguide's Freelance pattern on libzmq's own routing):
// requests spread over every server that is up, a silent server is routed around for requests that may be
// retried, a CODE_UNAVAILABLE reply is retried elsewhere, and a server that comes back takes its share again.
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, ping, pong, seqOf } from "@zpb/proto";
import { PipelinedClient, type PipelinedClientOptions } from "./pipelined-client.js";
import { RequestClient } from "./request-client.js";
import { RemoteError, TimeoutError } from "./errors.js";
import { BatchRouter, pongServer, silentServer, type TestServer } from "./test-support/servers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function started(server: Promise<TestServer>): Promise<TestServer> {
  const s = await server;
  cleanups.push(() => s.close());
  return s;
}

function pipelined(options: PipelinedClientOptions): PipelinedClient {
  const c = new PipelinedClient(options);
  cleanups.push(() => c.close());
  return c;
}

/** Sends Pings (seq from `from`) until every server in `servers` has seen one: their connections are up. */
async function untilAllConnected(client: PipelinedClient, servers: TestServer[], from: number): Promise<number> {
  let seq = from;
  const deadline = Date.now() + 10_000;
  while (servers.some((s) => s.received === 0)) {
    if (Date.now() > deadline) throw new Error(`servers never all reached: ${servers.map((s) => s.received)}`);
    await client.request(ping(seq++), { retries: 5 }).catch(() => undefined);
  }
  return seq;
}

const settled = (promises: Array<Promise<unknown>>) => Promise.allSettled(promises);
const failures = (results: PromiseSettledResult<unknown>[]) =>
  results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));

describe("PipelinedClient over several endpoints", () => {
  it("spreads requests over every server", async () => {
    const [a, b] = [await started(pongServer()), await started(pongServer())];
    const c = pipelined({ endpoints: [a.endpoint, b.endpoint], window: 20, timeoutMs: 5000 });
    const from = await untilAllConnected(c, [a, b], 1);
    const [beforeA, beforeB] = [a.received, b.received];
    await Promise.all(Array.from({ length: 200 }, (_, i) => c.request(ping(from + i))));
    // libzmq's DEALER round-robin: close to half each.
    expect(a.received - beforeA).toBeGreaterThan(60);
    expect(b.received - beforeB).toBeGreaterThan(60);
    expect(c.endpoints).toEqual([a.endpoint, b.endpoint]);
  });

  it("resends a silent server's requests elsewhere when they may be retried, then routes around it", async () => {
    const [good, silent] = [await started(pongServer()), await started(silentServer())];
    const c = pipelined({ endpoints: [silent.endpoint, good.endpoint], window: 10, timeoutMs: 300 });
    const safe = await settled(Array.from({ length: 20 }, (_, i) => c.request(ping(i + 1), { retries: 3 })));
    expect(failures(safe)).toEqual([]);
    expect(silent.received).toBeGreaterThan(0); // the silent one did get its share, and each was resent
    expect(c.stats.retries).toBe(silent.received);
    // It now sits out its back-off: nothing more goes there, so even requests without retries are all answered.
    const seen = silent.received;
    const after = await settled(Array.from({ length: 20 }, (_, i) => c.request(ping(100 + i))));
    expect(failures(after)).toEqual([]);
    expect(silent.received).toBe(seen);
  });

  it("does not resend a request that may not be retried: the caller sees the timeout", async () => {
    const [good, silent] = [await started(pongServer()), await started(silentServer())];
    const c = pipelined({ endpoints: [silent.endpoint, good.endpoint], window: 10, timeoutMs: 300 });
    const results = await settled(Array.from({ length: 20 }, (_, i) => c.request(ping(i + 1))));
    const lost = failures(results);
    expect(lost.length).toBe(silent.received);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(c.stats.retries).toBe(0);
  });

  it("retries a CODE_UNAVAILABLE reply on another server when retries are allowed", async () => {
    const refusing = await started(pongServer({ refuseAll: ErrorCode.CODE_UNAVAILABLE }));
    const good = await started(pongServer());
    const endpoints = [refusing.endpoint, good.endpoint];
    const c = pipelined({ endpoints, window: 10, timeoutMs: 5000, retries: 2 });
    const results = await settled(Array.from({ length: 30 }, (_, i) => c.request(ping(i + 1))));
    expect(failures(results)).toEqual([]);
    expect(refusing.received).toBeGreaterThan(0);
    const strict = pipelined({ endpoints, window: 10, timeoutMs: 5000 });
    const refused = failures(await settled(Array.from({ length: 30 }, (_, i) => strict.request(ping(i + 1)))));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e instanceof RemoteError && e.remoteCode === ErrorCode.CODE_UNAVAILABLE)).toBe(true);
  });

  it("stops dealing to a server that went away and uses it again once it is back", async () => {
    const a = await pongServer();
    const b = await started(pongServer());
    const c = pipelined({ endpoints: [a.endpoint, b.endpoint], window: 10, timeoutMs: 2000 });
    let seq = await untilAllConnected(c, [a, b], 1);
    await a.close();
    await new Promise((resolve) => setTimeout(resolve, 200)); // libzmq sees the connection close
    const whileDown = await settled(Array.from({ length: 40 }, () => c.request(ping(seq++))));
    expect(failures(whileDown)).toEqual([]); // no retries allowed, yet nothing lost: nothing was dealt to `a`
    const back = await started(pongServer({ bind: a.endpoint }));
    const deadline = Date.now() + 10_000;
    while (back.received === 0 && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 10 }, () => c.request(ping(seq++))));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(back.received).toBeGreaterThan(0);
  });
});

describe("PipelinedClient batching over several endpoints", () => {
  async function batchRouter(): Promise<BatchRouter> {
    const router = await new BatchRouter(true).start();
    cleanups.push(() => router.close());
    return router;
  }
  const items = (router: BatchRouter) => router.units.reduce((sum, unit) => sum + unit.messages.length, 0);

  it("sends each batch whole to one server, spreads batches over the servers and unpacks their replies", async () => {
    const [a, b] = [await batchRouter(), await batchRouter()];
    const c = pipelined({ endpoints: [a.endpoint, b.endpoint], maxBatch: 32, window: 400, timeoutMs: 5000 });
    let seq = 1;
    const deadline = Date.now() + 10_000;
    while (items(a) === 0 || items(b) === 0) {
      if (Date.now() > deadline) throw new Error(`servers never both reached: ${items(a)}, ${items(b)}`);
      await c.request(ping(seq++), { retries: 5 }).catch(() => undefined);
    }
    const seqs = Array.from({ length: 400 }, (_, i) => BigInt(seq + i));
    const replies = await Promise.all(seqs.map((n) => c.request(ping(n))));
    expect(replies).toEqual(seqs.map((n) => pong(n)));
    expect(c.stats.batches).toBeGreaterThan(1);
    for (const server of [a, b]) expect(server.units.some((unit) => unit.batch)).toBe(true);
    const units = [...a.units, ...b.units];
    expect(Math.max(...units.map((unit) => unit.messages.length))).toBeLessThanOrEqual(32);
    // Every request reached exactly one server: a batch was never split or sent twice.
    const reached = units.flatMap((unit) => unit.messages.map((m) => seqOf(m)!)).filter((n) => n >= seqs[0]!);
    expect(reached.sort((x, y) => (x < y ? -1 : 1))).toEqual(seqs);
  });

  it("retries the requests of a batch a silent server swallowed, one by one, on the other server", async () => {
    const [silent, good] = [await started(silentServer()), await batchRouter()];
    const c = pipelined({ endpoints: [silent.endpoint, good.endpoint], maxBatch: 16, window: 40, timeoutMs: 300 });
    const results = await settled(Array.from({ length: 40 }, (_, i) => c.request(ping(i + 1), { retries: 3 })));
    expect(failures(results)).toEqual([]);
    expect(silent.received).toBeGreaterThan(0);
    expect(c.stats.retries).toBe(silent.received);
    expect(c.stats.timeouts).toBe(silent.received);
  });
});

describe("RequestClient over several endpoints", () => {
  it("spreads requests, routes around a silent server with its retries, and retries CODE_UNAVAILABLE", async () => {
    const [good, silent] = [await started(pongServer()), await started(silentServer())];
    const refusing = await started(pongServer({ refuseAll: ErrorCode.CODE_UNAVAILABLE }));
    const client = new RequestClient({
      endpoints: [silent.endpoint, refusing.endpoint, good.endpoint],
      timeoutMs: 300,
      retries: 6,
    });
    cleanups.push(() => client.close());
    for (let seq = 1; seq <= 15; seq++) {
      const reply = await client.request(ping(seq));
      expect(reply.payload).toEqual({ case: "pong", value: { seq: BigInt(seq) } });
    }
    expect(good.received).toBeGreaterThanOrEqual(15);
    expect(silent.received + refusing.received).toBeGreaterThan(0);
    expect(client.endpoints).toHaveLength(3);
  });
});
