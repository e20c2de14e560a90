// The batch wire (docs/wire.md, "Batches") spoken by Debian's pyzmq + protobuf (integration/python/peer.py,
// which frames batches with python3-protobuf's own varint helpers): byte-identical frames both ways, our
// publisher and client against Python peers, Python peers against ours and against the real server.
import { BATCH_MARKER, createBatchCodec, envelopeCodec, ping, seqOf } from "@zpb/proto";
import { PipelinedClient, Subscription, TopicPublisher } from "@zpb/client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../support/processes.js";
import { within } from "@zpb/test-support";
import { PythonPeers, generatePythonCode, requirePrerequisites, type PeerResult } from "./python-peer.js";

const ANY_PORT = "tcp://127.0.0.1:*";
const PEER_TIMEOUT_S = "10";
const WAIT_MS = 15_000;
const COUNT = 500;

let generated: ReturnType<typeof generatePythonCode> | undefined;
let peers: PythonPeers;
const cleanups: Array<() => unknown> = [];

beforeAll(() => {
  requirePrerequisites();
  generated = generatePythonCode();
  peers = new PythonPeers(generated.dir);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await peers?.killAll();
});
afterAll(() => generated?.remove());

/** A one-shot wire command (encode-batch, decode-batch) succeeded; returns what it printed. */
function expectPrinted(result: PeerResult) {
  expect(result.summary, `peer.py stderr: ${result.stderr}`).toMatchObject({ ok: true });
  expect(result.code).toBe(0);
  return result.summary!;
}

function expectClean(result: PeerResult) {
  expect(result.summary, `peer.py stderr: ${result.stderr}`).toMatchObject({ ok: true, problems: [] });
  expect(result.code).toBe(0);
  return result.summary!;
}

const batches = createBatchCodec(envelopeCodec);

describe("batch frames: Python and @zpb/proto agree byte for byte", { timeout: 30_000 }, () => {
  it("the same pings make the same batch frame and the same marker", async () => {
    const seqs = [1n, 300n, 2n ** 64n - 1n];
    const summary = expectPrinted(await peers.run(["encode-batch", "--seqs", seqs.join(",")]));
    expect(summary.marker).toBe(BATCH_MARKER.toString("hex"));
    expect(summary.hex).toBe(batches.encode(seqs.map((seq) => ping(seq))).toString("hex"));
  });

  it("Python splits and decodes the batch frame we build", async () => {
    const frame = batches.encode([ping(7), ping(8), { payload: { case: undefined } }]);
    const summary = expectPrinted(await peers.run(["decode-batch", frame.toString("hex")]));
    expect(summary.envelopes).toEqual([{ case: "ping", seq: "7" }, { case: "ping", seq: "8" }, { case: null }]);
  });
});

describe("batches between Python peers and @zpb/client", { timeout: 30_000 }, () => {
  it("Python PUB --batch 10 → our Subscription: every message in order, nothing lost", async () => {
    const pub = peers.start(["pub", "--count", String(COUNT), "--batch", "10", "--wait-subscribers", "1"]);
    const endpoint = await pub.ready();
    const subscription = new Subscription({ endpoint, topics: ["PING"] });
    cleanups.push(() => subscription.close());
    const seqs: bigint[] = [];
    for (;;) {
      const m = await subscription.next({ timeoutMs: WAIT_MS });
      seqs.push(seqOf(m!.message)!);
      if (seqs.length === COUNT) break;
    }
    expect(seqs).toEqual(Array.from({ length: COUNT }, (_, i) => BigInt(i + 1)));
    expect(subscription.stats).toMatchObject({ received: COUNT, lost: 0, undecodable: 0 });
    expect(expectClean(await pub.result())).toMatchObject({ sent: COUNT });
  });

  it("our publishMany with batch 10 → Python SUB: every message, in order, in batches", async () => {
    const publisher = await TopicPublisher.bind({ endpoint: ANY_PORT, batch: 10 });
    cleanups.push(() => publisher.close());
    const sub = peers.start([
      "sub",
      "--connect",
      publisher.endpoint,
      "--count",
      String(COUNT),
      "--timeout",
      PEER_TIMEOUT_S,
    ]);
    await within(publisher.waitForSubscribers(1, { topic: "PING" }), "the Python subscription", WAIT_MS);
    await publisher.publishMany({ topic: "PING", count: COUNT, message: (i) => ping(i) });
    const summary = expectClean(await sub.result());
    expect(summary).toMatchObject({ received: COUNT, batches: COUNT / 10 });
  });

  it.each([false, true])(
    "our PipelinedClient (maxBatch 32, delimiter %s) → Python ROUTER that speaks batches: every pong",
    async (delimiter) => {
      const router = peers.start(["router", "--count", String(COUNT), "--timeout", PEER_TIMEOUT_S]);
      const endpoint = await router.ready();
      const client = new PipelinedClient({ endpoint, maxBatch: 32, window: 100, delimiter, timeoutMs: WAIT_MS });
      cleanups.push(() => client.close());
      const seqs = Array.from({ length: COUNT }, (_, i) => BigInt(i + 1));
      const replies = await Promise.all(seqs.map((seq) => client.request(ping(seq))));
      expect(replies.map((m) => seqOf(m))).toEqual(seqs);
      expect(client.stats.batches).toBeGreaterThan(0);
      const summary = expectClean(await router.result());
      expect(summary.batches).toBe(client.stats.batches);
    },
  );
});

describe("Python DEALER speaking batches → the real zpb server (2 workers)", { timeout: 40_000 }, () => {
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    server = await ServerProcess.start();
  }, 30_000);
  afterAll(() => server?.stop(), 20_000);

  it.each([false, true])(
    "delimiter %s: each batch answered by one batch of pongs, in request order",
    async (delimiter) => {
      const args = ["dealer", "--connect", server!.endpoint, "--count", String(COUNT), "--timeout", PEER_TIMEOUT_S];
      args.push("--batch", "25", "--window", "4", ...(delimiter ? ["--delimiter"] : []));
      const summary = expectClean(await peers.run(args));
      expect(summary).toMatchObject({
        sent: COUNT,
        received: COUNT,
        batchesSent: COUNT / 25,
        batchReplies: COUNT / 25,
      });
    },
  );
});
