import { DecodeError, envelopeCodec, errorReply, ErrorCode, ping, pong, seqOf, type Envelope } from "@zpb/proto";
import { FrameError, Replier, Requester, type Received } from "./index.js";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { within } from "@zpb/test-support";
import { closeAfterEach } from "@zpb/test-support/vitest";
import { bindAddress, GARBAGE, TRANSPORTS } from "./test-support/sockets.js";

/**
 * The REQ/REP server of the Rust prost + zmq example: pong for ping, an ErrorReply for anything it could not read.
 * Returns when closed.
 */
async function serve(replier: Replier, seen: Array<Received<Envelope>>): Promise<void> {
  for await (const request of replier) {
    seen.push(request);
    await replier.reply(answer(request));
  }
}

function answer(request: Received<Envelope>): Envelope {
  if (!request.ok) {
    const code = request.error instanceof FrameError ? ErrorCode.CODE_BAD_FRAMES : ErrorCode.CODE_DECODE;
    return errorReply(code, request.error.message);
  }
  const seq = seqOf(request.message);
  return request.message.payload.case === "ping"
    ? pong(seq!)
    : errorReply(ErrorCode.CODE_UNKNOWN_PAYLOAD, "not a ping", seq ?? 0n);
}

describe.each(TRANSPORTS)("REQ/REP over %s", (kind) => {
  const own = closeAfterEach();

  async function startServer() {
    const replier = own(new Replier({ linger: 0 }));
    const endpoint = await replier.bind(bindAddress(kind));
    if (kind === "tcp") expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const received: Array<Received<Envelope>> = [];
    return { replier, endpoint, received, served: serve(replier, received) };
  }

  it("round-trips typed requests, seq intact up to 2^64-1", async () => {
    const { replier, endpoint, served } = await startServer();
    const requester = own(new Requester({ linger: 0 }));
    requester.connect(endpoint);

    for (const seq of [1n, 2n, 2n ** 53n + 1n, 2n ** 64n - 1n]) {
      const reply = await within(requester.request(ping(seq)), `reply ${seq}`);
      expect(reply).toMatchObject({ ok: true, message: pong(seq) });
    }
    expect(requester.counters).toEqual({ received: 4, sent: 4, decodeErrors: 0, frameErrors: 0 });
    expect(replier.counters).toEqual({ received: 4, sent: 4, decodeErrors: 0, frameErrors: 0 });

    replier.close();
    await within(served, "the server loop to end on close");
  });

  it("answers garbage with a DecodeError value and keeps serving", async () => {
    const { replier, endpoint, received, served } = await startServer();
    const raw = own(new zmq.Request({ linger: 0 }));
    raw.connect(endpoint);

    await raw.send(GARBAGE);
    const [errorBytes] = await within(raw.receive(), "the error reply");
    const error = envelopeCodec.decode(errorBytes!);
    expect(error.payload).toMatchObject({ case: "error", value: { code: ErrorCode.CODE_DECODE } });
    expect(received[0]).toMatchObject({ ok: false, frames: [GARBAGE] });
    expect((received[0] as { error: unknown }).error).toBeInstanceOf(DecodeError);

    await raw.send(envelopeCodec.encode(ping(7n)));
    const [pongBytes] = await within(raw.receive(), "the pong after garbage");
    expect(envelopeCodec.decode(pongBytes!)).toEqual(pong(7n));
    expect(replier.counters).toMatchObject({ received: 2, decodeErrors: 1, frameErrors: 0 });

    replier.close();
    await within(served, "the server loop to end on close");
  });

  it("answers a multi-frame request with a FrameError value and keeps serving", async () => {
    // A raw REQ can't send a multi-frame body with zpb's framing in mind; a DEALER with the REQ delimiter can.
    const { replier, endpoint, received, served } = await startServer();
    const raw = own(new zmq.Dealer({ linger: 0 }));
    raw.connect(endpoint);

    await raw.send(["", Buffer.from(envelopeCodec.encode(ping(1n))), Buffer.from("extra")]);
    const reply = await within(raw.receive(), "the error reply");
    expect(reply).toHaveLength(2);
    expect(reply[0]).toHaveLength(0); // REP answers with the delimiter the request came with
    expect(envelopeCodec.decode(reply[1]!).payload).toMatchObject({
      case: "error",
      value: { code: ErrorCode.CODE_BAD_FRAMES },
    });
    const first = received[0]!;
    expect(first.ok).toBe(false);
    if (!first.ok) {
      expect(first.error).toBeInstanceOf(FrameError);
      expect((first.error as FrameError).frameCount).toBe(2);
      expect(first.frames).toHaveLength(2);
    }

    await raw.send(["", Buffer.from(envelopeCodec.encode(ping(2n)))]);
    const good = await within(raw.receive(), "the pong after a bad request");
    expect(envelopeCodec.decode(good[1]!)).toEqual(pong(2n));
    expect(replier.counters).toMatchObject({ received: 2, decodeErrors: 0, frameErrors: 1 });

    replier.close();
    await within(served, "the server loop to end on close");
  });

  it("gives the requester a FrameError value for a multi-frame reply", async () => {
    // A REP peer we did not write (raw zeromq) answers with two frames.
    const rep = own(new zmq.Reply({ linger: 0 }));
    await rep.bind(bindAddress(kind));
    const requester = own(new Requester({ linger: 0 }));
    requester.connect(rep.lastEndpoint!);

    const replied = (async () => {
      await rep.receive();
      await rep.send([Buffer.from(envelopeCodec.encode(pong(1n))), Buffer.from("extra")]);
    })();
    const reply = await within(requester.request(ping(1n)), "the two-frame reply");
    await replied;
    expect(reply?.ok).toBe(false);
    if (reply && !reply.ok) expect(reply.error).toBeInstanceOf(FrameError);
    expect(requester.counters.frameErrors).toBe(1);
  });
});

describe("a send zeromq.js fails with EAGAIN", () => {
  const own = closeAfterEach();

  // What zeromq.js does when the pipe it saw as writable is gone by the time it sends (a peer that fails
  // its handshake, as a plaintext REQ against a CURVE server does): reject with EAGAIN, timeout or not.
  // zeromq's sockets are sealed and Socket.prototype.send is read-only, so the fake shadows it on
  // Request.prototype, for `socket` alone, until the test ends.
  function failFirstSends(socket: zmq.Request, count: number): () => number {
    const send = socket.send;
    let failed = 0;
    Object.defineProperty(zmq.Request.prototype, "send", {
      configurable: true,
      value(this: zmq.Request, frames: zmq.MessageLike[]) {
        if (this === socket && failed < count) {
          failed++;
          return Promise.reject(
            Object.assign(new Error("Operation was not possible or timed out"), { code: "EAGAIN" }),
          );
        }
        return send.call(this, frames);
      },
    });
    return () => failed;
  }
  afterEach(() => {
    delete (zmq.Request.prototype as { send?: unknown }).send;
  });

  it("is tried again when the socket has no send timeout, and the request goes through", async () => {
    const replier = own(new Replier({ linger: 0 }));
    const endpoint = await replier.bind(bindAddress("inproc"));
    const served = serve(replier, []);
    const requester = own(new Requester({ linger: 0 }));
    const failed = failFirstSends(requester.socket, 3);
    requester.connect(endpoint);

    const reply = await within(requester.request(ping(7n)), "the reply after three refused sends");
    expect(reply).toMatchObject({ ok: true, message: pong(7n) });
    expect(failed()).toBe(3);
    expect(requester.counters.sent).toBe(1);
    replier.close();
    await within(served, "the server loop to end on close");
  });

  it("is a TIMEOUT when the caller set a send timeout", async () => {
    const requester = own(new Requester({ linger: 0, sendTimeout: 50 }));
    failFirstSends(requester.socket, 1);
    requester.connect("inproc://nobody-binds-this");
    await expect(within(requester.send(ping(1n)), "the refused send")).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(requester.counters.sent).toBe(0);
  });

  it("ends as CLOSED when the socket is closed while it waits to try again", async () => {
    const requester = own(new Requester({ linger: 0 }));
    failFirstSends(requester.socket, 1_000_000);
    requester.connect("inproc://nobody-binds-this-either");
    const sending = requester.send(ping(1n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    requester.close();
    await expect(within(sending, "the send to end on close")).rejects.toMatchObject({ code: "CLOSED" });
  });
});
