// Small servers for tests, built on @zpb/transport, bound on free loopback ports.
import { afterEach } from "vitest";
import {
  ErrorCode,
  createBatchCodec,
  envelopeCodec,
  errorReply,
  pong,
  rawCodec,
  seqOf,
  type Envelope,
} from "@zpb/proto";
import { Router, type Peer, type RoutedMessage, type SocketOptions } from "@zpb/transport";

export const ANY_PORT = "tcp://127.0.0.1:*";

/**
 * Registers an afterEach that closes every server handed to the returned function (which resolves to the
 * server), so a test file starts its servers in one line and none outlives its test.
 */
export function serversClosedAfterEach(): (starting: Promise<TestServer>) => Promise<TestServer> {
  const open: TestServer[] = [];
  afterEach(async () => {
    for (const server of open.splice(0).reverse()) await server.close();
  });
  return async (starting) => {
    const server = await starting;
    open.push(server);
    return server;
  };
}

export interface TestServer {
  endpoint: string;
  /** Requests received so far (including dropped ones). */
  received: number;
  close(): Promise<void>;
}

/** Serves a Router until closed; `handle` answers (or not) each message. */
async function serve<T>(
  router: Router<T>,
  handle: (m: RoutedMessage<T>, index: number) => Promise<void> | void,
  bind = ANY_PORT,
): Promise<TestServer> {
  const endpoint = await router.bind(bind);
  const server: TestServer = {
    endpoint,
    received: 0,
    close: async () => {
      router.close();
      await loop;
    },
  };
  const loop = (async () => {
    for await (const m of router) await handle(m, server.received++);
  })().catch(() => {});
  return server;
}

/**
 * Answers each Ping with a Pong of the same seq (REQ and DEALER peers alike). It drops the first
 * `dropFirst` requests, goes silent after `answerFirst`, answers a Ping whose seq is in `failSeqs`
 * with an ErrorReply, and answers with `answer(seq)` instead of a Pong when given; `refuseAll` answers every
 * request with an ErrorReply of that code. `bind` picks its endpoint (a restarted server binds the endpoint
 * its predecessor had).
 */
export function pongServer(
  options: {
    dropFirst?: number;
    failSeqs?: bigint[];
    answerFirst?: number;
    answer?: (seq: bigint) => Envelope;
    refuseAll?: ErrorCode;
    bind?: string;
    socket?: SocketOptions;
  } = {},
): Promise<TestServer> {
  const router = new Router({ linger: 0, ...options.socket });
  return serve(
    router,
    async (m, index) => {
      if (index < (options.dropFirst ?? 0) || index >= (options.answerFirst ?? Infinity) || !m.ok) return;
      const seq = seqOf(m.message) ?? 0n;
      const refusal =
        options.refuseAll ?? (options.failSeqs?.includes(seq) ? ErrorCode.CODE_UNKNOWN_PAYLOAD : undefined);
      const answer = refusal === undefined ? (options.answer ?? pong)(seq) : errorReply(refusal, "refused", seq);
      await router.reply(m.peer, answer);
    },
    options.bind,
  );
}

/** Echoes raw bytes back (the echo tutorial's server). */
export function echoServer(socket: SocketOptions = {}): Promise<TestServer> {
  const router = new Router<Uint8Array>({ linger: 0, ...socket, codec: rawCodec });
  return serve(router, async (m) => {
    if (m.ok) await router.reply(m.peer, m.message);
  });
}

/** Accepts requests and never answers. */
export function silentServer(): Promise<TestServer> {
  return serve(new Router({ linger: 0 }), () => {});
}

/** A ROUTER the test drives by hand: it collects requests; the test replies when and how it likes. */
export class ScriptedRouter {
  readonly router = new Router<Envelope>({ linger: 0 });
  readonly requests: Array<{ peer: Peer; message: Envelope }> = [];
  endpoint = "";
  private waiters: Array<() => void> = [];
  private loop: Promise<void> = Promise.resolve();

  /** Binds on a free port and starts collecting. */
  async start(): Promise<this> {
    this.endpoint = await this.router.bind(ANY_PORT);
    this.loop = (async () => {
      for await (const m of this.router) {
        if (!m.ok) continue;
        this.requests.push({ peer: m.peer, message: m.message });
        for (const wake of this.waiters.splice(0)) wake();
      }
    })().catch(() => {});
    return this;
  }

  /** Resolves once `count` requests have arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.requests.length} of ${count} requests within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `message` to the peer of request number `index`. */
  reply(index: number, message: Envelope): Promise<void> {
    return this.router.reply(this.requests[index]!.peer, message);
  }

  /** Sends raw bytes to the peer of request number `index`. */
  replyBytes(index: number, bytes: Uint8Array): Promise<void> {
    return this.router.replyBytes(this.requests[index]!.peer, bytes);
  }

  async close(): Promise<void> {
    this.router.close();
    await this.loop;
  }
}

/** One ZeroMQ message a BatchRouter received: a batch (marker + batch frame) or a single frame. */
export interface ReceivedUnit {
  peer: Peer;
  batch: boolean;
  messages: Envelope[];
}

const envelopeBatches = createBatchCodec(envelopeCodec);

/**
 * A ROUTER that sees batches as units (docs/wire.md, "Batches"): it records each ZeroMQ message with its
 * items; with `autoPong` it answers a batch with one batch of pongs and a single request with a pong.
 */
export class BatchRouter {
  readonly router = new Router<Envelope>({ linger: 0 });
  readonly units: ReceivedUnit[] = [];
  endpoint = "";
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly autoPong = false) {}

  async start(): Promise<this> {
    this.endpoint = await this.router.bind(ANY_PORT);
    this.loop = (async () => {
      for (let m = await this.router.receiveMany(); m !== undefined; m = await this.router.receiveMany()) {
        const messages = m.items.flatMap((item) => (item.ok ? [item.message] : []));
        this.units.push({ peer: m.peer, batch: m.batch, messages });
        if (!this.autoPong) continue;
        const pongs = messages.map((message) => pong(seqOf(message) ?? 0n));
        if (m.batch) await this.replyBatch(this.units.length - 1, pongs);
        else await this.router.reply(m.peer, pongs[0]!);
      }
    })().catch(() => {});
    return this;
  }

  /** Resolves once `count` requests (items, not ZeroMQ messages) have arrived; rejects after `timeoutMs`. */
  async waitForRequests(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const have = this.units.reduce((sum, unit) => sum + unit.messages.length, 0);
      if (have >= count) return;
      if (Date.now() > deadline) throw new Error(`only ${have} of ${count} requests within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Answers unit `index` with one batch of `replies`. */
  replyBatch(index: number, replies: Envelope[]): Promise<void> {
    return this.router.replyBatchBytes(this.units[index]!.peer, envelopeBatches.encode(replies), replies.length);
  }

  /** Answers unit `index` with one single-frame message. */
  replySingle(index: number, reply: Envelope): Promise<void> {
    return this.router.reply(this.units[index]!.peer, reply);
  }

  async close(): Promise<void> {
    this.router.close();
    await this.loop;
  }
}
