import {
  DecodeError,
  envelopeCodec,
  errorReply,
  ErrorCode,
  ping,
  pong,
  rawCodec,
  seqOf,
  type Envelope,
} from "@zpb/proto";
import { Dealer, FrameError, RoutedDealer, Router, type Peer, type RoutedMessage } from "./index.js";
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { within } from "@zpb/test-support";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { bindAddress, GARBAGE, TRANSPORTS } from "./test-support/sockets.js";

const EMPTY = Buffer.alloc(0);
const bytes = (message: Envelope) => Buffer.from(envelopeCodec.encode(message));
const EMPTY_ENVELOPE: Envelope = { payload: { case: undefined } };

/**
 * The ROUTER service of the Rust prost + zmq example: pong for ping, an ErrorReply for what it could not read; records
 * what it saw.
 */
async function serve(socket: Router | RoutedDealer, seen: Array<RoutedMessage<Envelope>>): Promise<void> {
  for await (const request of socket) {
    seen.push(request);
    if (!request.ok) {
      const code = request.error instanceof FrameError ? ErrorCode.CODE_BAD_FRAMES : ErrorCode.CODE_DECODE;
      await socket.reply(request.peer, errorReply(code, request.error.message));
    } else if (request.message.payload.case === "ping") {
      await socket.reply(request.peer, pong(request.message.payload.value.seq));
    } else {
      await socket.reply(
        request.peer,
        errorReply(ErrorCode.CODE_UNKNOWN_PAYLOAD, "not a ping", seqOf(request.message) ?? 0n),
      );
    }
  }
}

describe.each(TRANSPORTS)("ROUTER/DEALER over %s", (kind) => {
  const own = closeAfterEach();

  async function startRouter() {
    const router = own(new Router({ linger: 0 }));
    const endpoint = await router.bind(bindAddress(kind));
    const seen: Array<RoutedMessage<Envelope>> = [];
    return { router, endpoint, seen, served: serve(router, seen) };
  }

  it("answers a raw REQ peer ([id, '', payload]) with the delimiter", async () => {
    const { endpoint, seen } = await startRouter();
    const req = own(new zmq.Request({ linger: 0, routingId: "req-peer" }));
    req.connect(endpoint);
    await req.send(bytes(ping(1n)));
    const reply = await within(req.receive(), "the REQ's reply");
    // REQ strips the delimiter: one frame means the ROUTER sent [id, "", payload] (REQ drops anything else).
    expect(reply).toEqual([bytes(pong(1n))]);
    expect(seen[0]!.peer).toEqual({
      identity: Buffer.from("req-peer"),
      route: [Buffer.from("req-peer")],
      delimited: true,
    });
    expect(seen[0]!.frames).toEqual([Buffer.from("req-peer"), EMPTY, bytes(ping(1n))]);
  });

  it("answers a bare DEALER ([id, payload], as the Rust prost + zmq example's DEALER sends) without a delimiter", async () => {
    const { endpoint, seen } = await startRouter();
    const dealer = own(new zmq.Dealer({ linger: 0, routingId: "bare" }));
    dealer.connect(endpoint);
    await dealer.send(bytes(ping(2n)));
    expect(await within(dealer.receive(), "the bare reply")).toEqual([bytes(pong(2n))]);
    expect(seen[0]!.peer.delimited).toBe(false);
    expect(seen[0]!.frames).toEqual([Buffer.from("bare"), bytes(ping(2n))]);
  });

  it("answers a DEALER that sends the delimiter with the delimiter", async () => {
    const { endpoint, seen } = await startRouter();
    const dealer = own(new zmq.Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.send(["", bytes(ping(3n))]);
    expect(await within(dealer.receive(), "the delimited reply")).toEqual([EMPTY, bytes(pong(3n))]);
    expect(seen[0]!.peer.delimited).toBe(true);
  });

  it("serves all three shapes on one socket at once, each in its own shape", async () => {
    const { endpoint } = await startRouter();
    const req = own(new zmq.Request({ linger: 0 }));
    const bare = own(new zmq.Dealer({ linger: 0 }));
    const delimited = own(new zmq.Dealer({ linger: 0 }));
    for (const peer of [req, bare, delimited]) peer.connect(endpoint);
    await Promise.all([
      req.send(bytes(ping(10n))),
      bare.send(bytes(ping(20n))),
      delimited.send(["", bytes(ping(30n))]),
    ]);
    const [r, b, d] = await within(Promise.all([req.receive(), bare.receive(), delimited.receive()]), "three replies");
    expect(r).toEqual([bytes(pong(10n))]);
    expect(b).toEqual([bytes(pong(20n))]);
    expect(d).toEqual([EMPTY, bytes(pong(30n))]);
  });

  it("round-trips with zpb's Dealer in both modes", async () => {
    const { endpoint } = await startRouter();
    for (const delimiter of [false, true]) {
      const dealer = own(new Dealer({ linger: 0, delimiter }));
      dealer.connect(endpoint);
      for (const seq of [1n, 2n ** 64n - 1n]) {
        await dealer.send(ping(seq));
        expect(await within(dealer.receive(), "a reply")).toMatchObject({ ok: true, message: pong(seq) });
      }
      expect(dealer.counters).toEqual({ received: 2, sent: 2, decodeErrors: 0, frameErrors: 0 });
    }
  });

  it("reports a multi-frame body as a FrameError with its peer, answers it, and keeps serving", async () => {
    const { router, endpoint, seen } = await startRouter();
    const bare = own(new zmq.Dealer({ linger: 0, routingId: "multi" }));
    const delimited = own(new zmq.Dealer({ linger: 0, routingId: "multi-d" }));
    bare.connect(endpoint);
    delimited.connect(endpoint);

    await bare.send([bytes(ping(1n)), Buffer.from("extra")]);
    const bareReply = await within(bare.receive(), "the bare error reply");
    expect(bareReply).toHaveLength(1);
    expect(envelopeCodec.decode(bareReply[0]!).payload).toMatchObject({
      case: "error",
      value: { code: ErrorCode.CODE_BAD_FRAMES },
    });

    await delimited.send(["", bytes(ping(1n)), Buffer.from("extra")]);
    const delimitedReply = await within(delimited.receive(), "the delimited error reply");
    expect(delimitedReply).toHaveLength(2);
    expect(delimitedReply[0]).toEqual(EMPTY);

    for (const [i, identity, delimitedShape] of [
      [0, "multi", false],
      [1, "multi-d", true],
    ] as const) {
      const bad = seen[i]!;
      expect(bad.ok).toBe(false);
      expect(!bad.ok && bad.error).toBeInstanceOf(FrameError);
      // The two payload frames, not the routing id or the delimiter.
      expect(!bad.ok && (bad.error as FrameError).frameCount).toBe(2);
      expect(bad.peer.identity).toEqual(Buffer.from(identity));
      expect(bad.peer.delimited).toBe(delimitedShape);
    }

    await bare.send(bytes(ping(5n)));
    expect(await within(bare.receive(), "a pong after the bad message")).toEqual([bytes(pong(5n))]);
    expect(router.counters).toMatchObject({ received: 3, sent: 3, frameErrors: 2, decodeErrors: 0 });
  });

  it("reports an undecodable payload as a DecodeError with its peer", async () => {
    const { endpoint, seen } = await startRouter();
    const dealer = own(new zmq.Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.send(GARBAGE);
    const [reply] = await within(dealer.receive(), "the error reply");
    expect(envelopeCodec.decode(reply!).payload).toMatchObject({
      case: "error",
      value: { code: ErrorCode.CODE_DECODE },
    });
    expect(seen[0]).toMatchObject({ ok: false, peer: { delimited: false } });
    expect(!seen[0]!.ok && seen[0]!.error).toBeInstanceOf(DecodeError);
  });

  it("takes an empty payload from a bare DEALER as a message, not as a delimiter", async () => {
    // An Envelope with no payload encodes to zero bytes: [id, ""] must be read as [id, payload].
    expect(envelopeCodec.encode(EMPTY_ENVELOPE)).toHaveLength(0);
    const { endpoint, seen } = await startRouter();
    const dealer = own(new zmq.Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.send(EMPTY);
    const reply = await within(dealer.receive(), "the reply to an empty payload");
    expect(reply).toHaveLength(1);
    expect(envelopeCodec.decode(reply[0]!).payload).toMatchObject({
      case: "error",
      value: { code: ErrorCode.CODE_UNKNOWN_PAYLOAD },
    });
    expect(seen[0]).toMatchObject({ ok: true, message: EMPTY_ENVELOPE, peer: { delimited: false } });

    const zpbDealer = own(new Dealer({ linger: 0 }));
    zpbDealer.connect(endpoint);
    await zpbDealer.send(EMPTY_ENVELOPE);
    const typed = await within(zpbDealer.receive(), "the typed reply");
    expect(typed?.ok && typed.message.payload.case).toBe("error");
  });

  it("rejects a reply to a peer that never connected with UNROUTABLE, with or without other peers", async () => {
    const router = own(new Router({ linger: 0 }));
    const endpoint = await router.bind(bindAddress(kind));
    const ghost: Peer = { identity: Buffer.from("ghost"), route: [Buffer.from("ghost")], delimited: false };
    await expect(within(router.reply(ghost, ping(1n)), "UNROUTABLE with no peers")).rejects.toMatchObject({
      code: "UNROUTABLE",
    });

    const dealer = own(new Dealer({ linger: 0 }));
    dealer.connect(endpoint);
    await dealer.send(ping(1n));
    const from = await within(router.receive(), "a request");
    await expect(within(router.reply(ghost, ping(1n)), "UNROUTABLE with a peer")).rejects.toMatchObject({
      code: "UNROUTABLE",
    });
    await router.reply(from!.peer, pong(1n));
    expect(await within(dealer.receive(), "the reply")).toMatchObject({ ok: true, message: pong(1n) });
  });

  it("makes a reply to a full peer wait for room while other peers are writable (mandatory)", async () => {
    // inproc only fills deterministically (tcp adds kernel buffers), but the rule is the same on both.
    const router = own(new Router({ linger: 0, sendHighWaterMark: 10, codec: rawCodec }));
    const endpoint = await router.bind(bindAddress(kind));
    const slow = own(new Dealer({ linger: 0, receiveHighWaterMark: 10, routingId: "slow", codec: rawCodec }));
    const idle = own(new Dealer({ linger: 0, routingId: "idle", codec: rawCodec }));
    slow.connect(endpoint);
    idle.connect(endpoint);
    await slow.send(Buffer.from("hello"));
    await idle.send(Buffer.from("hello"));
    const peers = new Map<string, Peer>();
    for (let i = 0; i < 2; i++) {
      const m = await within(router.receive(), "hello");
      peers.set(m!.peer.identity.toString(), m!.peer);
    }

    const total = 2_000;
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of slow) if (m.ok && got.push(Buffer.from(m.message).toString()) === total) return;
    })();
    for (let i = 0; i < total; i++) await router.replyBytes(peers.get("slow")!, Buffer.from(String(i)));
    await within(reading, "all replies at the slow peer", 15_000);
    expect(got).toEqual(Array.from({ length: total }, (_, i) => String(i)));
  });
});

describe("RoutedDealer behind a zeromq Proxy(Router, Dealer) — the server's architecture in miniature", () => {
  const own = closeAfterEach();

  it.each(TRANSPORTS)("serves REQ, bare and delimited clients over %s through two workers", async (kind) => {
    const frontend = own(new zmq.Router({ linger: 0, mandatory: true }));
    const backend = own(new zmq.Dealer({ linger: 0 }));
    await frontend.bind(bindAddress(kind));
    const backAddress = bindAddress("inproc");
    await backend.bind(backAddress);
    const proxy = new zmq.Proxy(frontend, backend);
    const proxying = proxy.run();

    const seen: Array<RoutedMessage<Envelope>> = [];
    const workers = [0, 1].map(() => own(new RoutedDealer({ linger: 0 })));
    const serving = workers.map((worker) => {
      worker.connect(backAddress);
      return serve(worker, seen);
    });

    try {
      const req = own(new zmq.Request({ linger: 0 }));
      const bare = own(new Dealer({ linger: 0 }));
      const delimited = own(new Dealer({ linger: 0, delimiter: true }));
      for (const client of [req, bare, delimited]) client.connect(frontend.lastEndpoint!);

      for (let seq = 1n; seq <= 10n; seq++) {
        await req.send(bytes(ping(seq)));
        expect(await within(req.receive(), "REQ reply via proxy")).toEqual([bytes(pong(seq))]);
        await bare.send(ping(seq));
        expect(await within(bare.receive(), "bare reply via proxy")).toMatchObject({
          ok: true,
          message: pong(seq),
          frames: [bytes(pong(seq))],
        });
        await delimited.send(ping(seq));
        expect(await within(delimited.receive(), "delimited reply via proxy")).toMatchObject({
          ok: true,
          message: pong(seq),
          frames: [EMPTY, bytes(pong(seq))],
        });
      }
      // The workers saw the front ROUTER's envelope, in the shape each client used.
      expect(seen).toHaveLength(30);
      expect(seen.filter((m) => m.peer.delimited)).toHaveLength(20);
      expect(workers.every((w) => w.counters.received > 0)).toBe(true); // DEALER round-robin reached both
    } finally {
      // Order matters: stop the proxy (it owns both sockets while it runs), then close the workers.
      proxy.terminate();
      await within(proxying, "the proxy to stop");
      for (const worker of workers) worker.close();
      await within(Promise.all(serving), "the workers' loops to end");
    }
  });
});
