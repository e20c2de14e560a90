// Our @zpb/transport sockets against Debian's pyzmq + protobuf (integration/python/peer.py), both ways,
// for every pattern of the Rust prost + zmq example: REQ/REP, DEALER/ROUTER in both envelope shapes, PUB/SUB with a
// filter.
import { ErrorCode, UINT64_MAX, errorReply, ping, pong, seqOf, type Envelope } from "@zpb/proto";
import { Dealer, Publisher, Replier, Requester, Router, Subscriber, type Received } from "@zpb/transport";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { within } from "@zpb/test-support";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { PythonPeers, generatePythonCode, requirePrerequisites, type PeerResult } from "./python-peer.js";

const ANY_PORT = "tcp://127.0.0.1:*";
// Bounds every socket wait of ours; peer.py gets --timeout PEER_TIMEOUT_S for its whole run.
const SOCKET_TIMEOUT_MS = 10_000;
const PEER_TIMEOUT_S = "10";
const COUNT = 50;

let generated: ReturnType<typeof generatePythonCode> | undefined;
let peers: PythonPeers;
/** Registers a socket so afterEach closes it whatever the test did. */
const track = closeAfterEach();

beforeAll(() => {
  requirePrerequisites();
  generated = generatePythonCode();
  peers = new PythonPeers(generated.dir);
});
afterEach(() => peers?.killAll());
afterAll(() => generated?.remove());

const socketOptions = { linger: 0, receiveTimeout: SOCKET_TIMEOUT_MS, sendTimeout: SOCKET_TIMEOUT_MS };

/** Asserts peer.py ran clean: exit 0, no problems, and returns its summary. */
function expectClean(result: PeerResult) {
  expect(result.summary, `peer.py stderr: ${result.stderr}`).toMatchObject({ ok: true, problems: [] });
  expect(result.code).toBe(0);
  return result.summary!;
}

/** The decoded message, failing the test with the reason when it was not decodable. */
function messageOf(received: Received<Envelope> | undefined): Envelope {
  expect(received, "socket closed before a message arrived").toBeDefined();
  if (!received!.ok) expect.fail(`undecodable message: ${received!.error.message}`);
  return received!.message;
}

/** Answers each Ping with Pong{seq}, anything undecodable with an ErrorReply, until the socket closes. */
async function serveReplier(replier: Replier, seen: Array<bigint | string>): Promise<void> {
  for await (const request of replier) {
    if (request.ok && request.message.payload.case === "ping") {
      seen.push(request.message.payload.value.seq);
      await replier.reply(pong(request.message.payload.value.seq));
    } else {
      seen.push(request.ok ? `case ${String(request.message.payload.case)}` : request.error.name);
      await replier.reply(errorReply(ErrorCode.CODE_DECODE, request.ok ? "not a ping" : request.error.message));
    }
  }
}

const seqRange = (first: bigint, count: number) => Array.from({ length: count }, (_, i) => first + BigInt(i));

describe("Python peers against @zpb/transport", { timeout: 30_000 }, () => {
  it("Python REQ → our Replier: every pong carries its ping's seq, up to 2^64-1", async () => {
    const replier = track(new Replier(socketOptions));
    const endpoint = await replier.bind(ANY_PORT);
    const seen: Array<bigint | string> = [];
    const serving = serveReplier(replier, seen);

    const first = UINT64_MAX - BigInt(COUNT) + 1n;
    const result = await peers.run([
      "req",
      "--connect",
      endpoint,
      "--count",
      String(COUNT),
      "--start-seq",
      first.toString(),
      "--timeout",
      PEER_TIMEOUT_S,
    ]);

    expect(expectClean(result)).toMatchObject({ sent: COUNT, received: COUNT });
    expect(seen).toEqual(seqRange(first, COUNT));
    replier.close();
    await within(serving, "replier loop end", SOCKET_TIMEOUT_MS);
  });

  it("Python REQ garbage → our Replier answers an ErrorReply that Python decodes", async () => {
    const replier = track(new Replier(socketOptions));
    const endpoint = await replier.bind(ANY_PORT);
    const seen: Array<bigint | string> = [];
    const serving = serveReplier(replier, seen);

    const result = await peers.run([
      "req",
      "--connect",
      endpoint,
      "--garbage",
      "ffffffff",
      "--timeout",
      PEER_TIMEOUT_S,
    ]);

    const summary = expectClean(result);
    expect(summary.errorReplies).toEqual([
      expect.objectContaining({ case: "error", codeName: "CODE_DECODE", seq: "0" }),
    ]);
    expect(seen).toEqual(["DecodeError"]);
    replier.close();
    await within(serving, "replier loop end", SOCKET_TIMEOUT_MS);
  });

  // Controls: the checks in peer.py must be able to fail, or every green test above would prove nothing.
  it("control: peer.py REQ reports a pong whose seq differs from its ping's", async () => {
    const replier = track(new Replier(socketOptions));
    const endpoint = await replier.bind(ANY_PORT);
    const serving = (async () => {
      for await (const request of replier) await replier.reply(pong((seqOf(messageOf(request)) ?? 0n) + 1n));
    })();

    const result = await peers.run(["req", "--connect", endpoint, "--count", "2", "--timeout", PEER_TIMEOUT_S]);

    expect(result.code).toBe(1);
    expect(result.summary).toMatchObject({
      ok: false,
      problems: ["sent seq 1, pong carried 2", "sent seq 2, pong carried 3"],
    });
    replier.close();
    await within(serving, "replier loop end", SOCKET_TIMEOUT_MS);
  });

  it("control: peer.py DEALER reports a reply in the wrong envelope shape", async () => {
    const router = track(new Router(socketOptions));
    const endpoint = await router.bind(ANY_PORT);
    const serving = (async () => {
      for await (const request of router) {
        // Answer a bare DEALER as if it were a REQ peer: an extra empty frame before the payload.
        await router.reply({ ...request.peer, delimited: true }, pong(seqOf(messageOf(request)) ?? 0n));
      }
    })();

    const result = await peers.run(["dealer", "--connect", endpoint, "--count", "1", "--timeout", PEER_TIMEOUT_S]);

    expect(result.code).toBe(1);
    expect(result.summary?.problems).toEqual([expect.stringContaining("reply shape")]);
    router.close();
    await within(serving, "router loop end", SOCKET_TIMEOUT_MS);
  });

  it("our Requester → Python REP: pongs match, Python saw every seq", async () => {
    const rep = peers.start(["rep", "--count", String(COUNT), "--timeout", PEER_TIMEOUT_S]);
    const requester = track(new Requester(socketOptions));
    requester.connect(await rep.ready());

    for (const seq of seqRange(2n ** 53n, COUNT)) {
      expect(messageOf(await requester.request(ping(seq)))).toEqual(pong(seq));
    }

    expect(expectClean(await rep.result())).toMatchObject({
      received: COUNT,
      sent: COUNT,
      firstSeq: (2n ** 53n).toString(),
      lastSeq: (2n ** 53n + BigInt(COUNT) - 1n).toString(),
    });
  });

  for (const delimiter of [false, true]) {
    it(`Python DEALER ${delimiter ? "with" : "without"} delimiter → our Router: replies in the peer's shape`, async () => {
      const router = track(new Router(socketOptions));
      const endpoint = await router.bind(ANY_PORT);
      const shapes: boolean[] = [];
      const identities = new Set<string>();
      const serving = (async () => {
        for await (const request of router) {
          shapes.push(request.peer.delimited);
          identities.add(request.peer.identity.toString("hex"));
          const seq = seqOf(messageOf(request));
          await router.reply(request.peer, pong(seq ?? 0n));
        }
      })();

      const args = [
        "dealer",
        "--connect",
        endpoint,
        "--count",
        String(COUNT),
        "--window",
        "10",
        "--timeout",
        PEER_TIMEOUT_S,
      ];
      // peer.py checks each reply carries exactly the frames it sent before the payload ("" or none).
      const result = await peers.run(delimiter ? [...args, "--delimiter"] : args);

      expect(expectClean(result)).toMatchObject({ sent: COUNT, received: COUNT, delimiter });
      expect(shapes).toEqual(Array(COUNT).fill(delimiter));
      expect(identities.size).toBe(1);
      router.close();
      await within(serving, "router loop end", SOCKET_TIMEOUT_MS);
    });
  }

  it("our Dealer, bare and with delimiter → Python ROUTER: pongs carry our seqs", async () => {
    const router = peers.start(["router", "--count", String(2 * COUNT), "--timeout", PEER_TIMEOUT_S]);
    const endpoint = await router.ready();

    for (const delimiter of [false, true]) {
      const dealer = track(new Dealer({ ...socketOptions, delimiter }));
      dealer.connect(endpoint);
      const seqs = seqRange(delimiter ? 1_000n : 1n, COUNT);
      // Pipelined: all requests in flight, then every reply (one pending send/receive at a time).
      for (const seq of seqs) await dealer.send(ping(seq));
      const replies: Envelope[] = [];
      for (let i = 0; i < COUNT; i++) replies.push(messageOf(await dealer.receive()));
      expect(replies).toEqual(seqs.map((seq) => pong(seq)));
      dealer.close();
    }

    expect(expectClean(await router.result())).toMatchObject({ received: 2 * COUNT, bare: COUNT, delimited: COUNT });
  });

  it("Python PUB → our Subscriber: [topic, payload] in order, other topics filtered out", async () => {
    const publisher = peers.start([
      "pub",
      "--count",
      String(COUNT),
      "--topic",
      "PING",
      "--noise-topic",
      "NOISE",
      "--wait-subscribers",
      "1",
      "--timeout",
      PEER_TIMEOUT_S,
    ]);
    // No sendTimeout: zeromq's Subscriber has no such property and throws on it (a SUB never sends).
    const subscriber = track(new Subscriber({ linger: 0, receiveTimeout: SOCKET_TIMEOUT_MS, topics: ["PING"] }));
    subscriber.connect(await publisher.ready());

    const got: Array<{ topic: string; seq: bigint | undefined }> = [];
    for (let i = 0; i < COUNT; i++) {
      const message = await subscriber.receive();
      got.push({ topic: message?.topic ?? "(closed)", seq: seqOf(messageOf(message)) });
    }

    expect(got).toEqual(seqRange(1n, COUNT).map((seq) => ({ topic: "PING", seq })));
    expect(expectClean(await publisher.result())).toMatchObject({ sent: COUNT, subscriptions: ["PING"] });
  });

  it("our Publisher → Python SUB: Python receives every message after waitForSubscribers", async () => {
    const publisher = track(new Publisher(socketOptions));
    const endpoint = await publisher.bind(ANY_PORT);
    const sub = peers.start([
      "sub",
      "--connect",
      endpoint,
      "--topic",
      "PING",
      "--count",
      String(COUNT),
      "--timeout",
      PEER_TIMEOUT_S,
    ]);

    await publisher.waitForSubscribers(1, { topic: "PING", timeoutMs: SOCKET_TIMEOUT_MS });
    for (const seq of seqRange(1n, COUNT)) {
      await publisher.publish("NOISE", ping(0n)); // Python's subscription filter must drop these
      await publisher.publish("PING", ping(seq));
    }

    expect(expectClean(await sub.result())).toMatchObject({ received: COUNT });
  });
});
