// The broker against scripted joined hosts (raw DEALERs speaking the join protocol) and real clients, all on
// 127.0.0.1 in this process: credit bounds what a host holds, a host that falls silent is dropped and what it
// held is answered CODE_UNAVAILABLE, a late reply is not delivered twice, a host that rejoins is used again.
import * as zmq from "zeromq";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, envelopeCodec, errorReply, ping, pong, seqOf, type Envelope } from "@zpb/proto";
import { silentLogger } from "../log.js";
import { Broker } from "./broker.js";
import { decodeJoinMessage, encodeJoinMessage, JOIN_PROTOCOL_VERSION } from "./join-protocol.js";

const ANY = "tcp://127.0.0.1:*";
const HEARTBEAT_MS = 50;
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBroker(options: { credit?: number } = {}): Promise<Broker> {
  const settings = {
    bind: [ANY],
    workers: 0,
    credit: options.credit ?? 4,
    hostHeartbeat: HEARTBEAT_MS,
    linger: 0,
    maxMessageSize: 1 << 20,
    replyHighWaterMark: 0,
    requestHighWaterMark: 1000,
  };
  const broker = new Broker(settings, ANY, silentLogger, (payload, message) => {
    const seq = seqOf(envelopeCodec.decode(payload)) ?? 0n;
    return envelopeCodec.encode(errorReply(ErrorCode.CODE_UNAVAILABLE, message, seq));
  });
  await broker.bind();
  broker.start("proxy", undefined, (error) => {
    throw error;
  });
  cleanups.push(() => broker.stop(0));
  return broker;
}

/** A joined host the test scripts: says ready, collects requests, answers when told, heartbeats while `alive`. */
class ScriptedHost {
  readonly socket = new zmq.Dealer({ linger: 0 });
  readonly requests: Buffer[][] = [];
  alive = true;
  private readonly beat: NodeJS.Timeout;
  private readonly loop: Promise<void>;
  rejoinAsked = false;

  constructor(endpoint: string, workers = 1) {
    this.socket.connect(endpoint);
    void this.socket.send(encodeJoinMessage({ type: "ready", version: JOIN_PROTOCOL_VERSION, workers }));
    this.beat = setInterval(() => {
      if (this.alive) void this.socket.send(encodeJoinMessage({ type: "heartbeat" })).catch(() => {});
    }, HEARTBEAT_MS);
    this.loop = (async () => {
      for await (const frames of this.socket) {
        if (frames.length >= 2) this.requests.push(frames);
        else if (decodeJoinMessage(frames[0]!)?.type === "rejoin") this.rejoinAsked = true;
      }
    })().catch(() => {});
    cleanups.push(() => this.close());
  }

  /** Answers request number `index` with a Pong of its seq (same tag and envelope). */
  answer(index: number): Promise<void> {
    const [tag, ...body] = this.requests[index]!;
    const seq = seqOf(envelopeCodec.decode(body.at(-1)!))!;
    return this.socket.send([tag!, ...body.slice(0, -1), envelopeCodec.encode(pong(seq))]);
  }

  async close(): Promise<void> {
    clearInterval(this.beat);
    this.socket.close();
    await this.loop;
  }
}

/** A DEALER client: sends Pings, collects replies by seq. */
class Client {
  readonly socket = new zmq.Dealer({ linger: 0 });
  readonly replies = new Map<bigint, Envelope>();
  private readonly loop: Promise<void>;

  constructor(endpoint: string) {
    this.socket.connect(endpoint);
    this.loop = (async () => {
      for await (const [payload] of this.socket) {
        const reply = envelopeCodec.decode(payload!);
        this.replies.set(seqOf(reply)!, reply);
      }
    })().catch(() => {});
    cleanups.push(async () => {
      this.socket.close();
      await this.loop;
    });
  }

  async send(from: number, count: number): Promise<void> {
    for (let seq = from; seq < from + count; seq++) await this.socket.send(envelopeCodec.encode(ping(seq)));
  }
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("Broker", () => {
  it("gives a host no more than its credit, and the rest as credit comes back", async () => {
    const broker = await startBroker({ credit: 3 });
    const host = new ScriptedHost(broker.joinEndpoint, 2); // 2 workers × credit 3
    await until(() => broker.stats().hosts.length === 1, "the host to join");
    const client = new Client(broker.bound[0]!);
    await client.send(1, 20);
    await until(() => host.requests.length === 6, "the host's credit to fill");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(host.requests).toHaveLength(6); // and no more while it holds them
    for (let i = 0; i < 6; i++) await host.answer(i);
    await until(() => host.requests.length === 12, "the next requests");
    await until(() => client.replies.size === 6, "six replies");
    expect([...client.replies.values()].every((r) => r.payload.case === "pong")).toBe(true);
  });

  it("drops a silent host, answers what it held CODE_UNAVAILABLE, ignores its late reply, and takes it back", async () => {
    const broker = await startBroker();
    const host = new ScriptedHost(broker.joinEndpoint);
    await until(() => broker.stats().hosts.length === 1, "the host to join");
    const client = new Client(broker.bound[0]!);
    await client.send(1, 3);
    await until(() => host.requests.length === 3, "three requests at the host");
    await host.answer(0);
    host.alive = false; // partitioned: no more heartbeats
    await until(() => client.replies.size === 3, "every request answered", 3000);
    expect(client.replies.get(1n)?.payload.case).toBe("pong");
    for (const seq of [2n, 3n]) {
      const reply = client.replies.get(seq)!;
      expect(reply.payload.case).toBe("error");
      expect(reply.payload.case === "error" && reply.payload.value.code).toBe(ErrorCode.CODE_UNAVAILABLE);
    }
    expect(broker.stats()).toMatchObject({ hostsLost: 1, answeredForLostHosts: 2, hosts: [] });

    // Its reply arrives after all: counted late, not delivered a second time.
    await host.answer(1);
    await until(() => broker.stats().late === 1, "the late reply to be counted");
    expect(client.replies.get(2n)?.payload.case).toBe("error");

    // It heartbeats again: it is told to rejoin, and once it has, it serves again.
    host.alive = true;
    await until(() => host.rejoinAsked, "the rejoin request");
    const back = new ScriptedHost(broker.joinEndpoint);
    await until(() => broker.stats().hosts.length === 1, "the host to rejoin");
    await client.send(10, 1);
    await until(() => back.requests.length === 1, "a request at the rejoined host");
    await back.answer(0);
    await until(() => client.replies.has(10n), "its reply");
  });

  it("a host that says bye gets nothing new but still delivers what it holds", async () => {
    const broker = await startBroker({ credit: 1 });
    const leaving = new ScriptedHost(broker.joinEndpoint);
    await until(() => broker.stats().hosts.length === 1, "the first host to join");
    const client = new Client(broker.bound[0]!);
    await client.send(1, 1);
    await until(() => leaving.requests.length === 1, "a request at the first host");
    await leaving.socket.send(encodeJoinMessage({ type: "bye" }));
    await until(() => broker.stats().hosts[0]?.accepting === false, "the host to be leaving");
    const staying = new ScriptedHost(broker.joinEndpoint);
    await until(() => broker.stats().hosts.length === 2, "the second host to join");
    await client.send(2, 1);
    await until(() => staying.requests.length === 1, "the new request at the staying host");
    expect(leaving.requests).toHaveLength(1);
    await leaving.answer(0);
    await until(() => client.replies.has(1n), "the leaving host's reply");
    await until(() => broker.stats().hosts.length === 1, "the leaving host to be forgotten");
  });
});
