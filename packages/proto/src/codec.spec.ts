import protobuf from "protobufjs/minimal.js";
import { describe, expect, it } from "vitest";
import { createCodec, rawCodec, type StaticMessageType } from "./codec.js";
import { createEnvelopeCodec, envelopeCodec, errorReply, ErrorCode, ping, pong, type Envelope } from "./envelope.js";
import { DecodeError, EncodeError } from "./errors.js";
import { example } from "./gen/example.js";
import { UINT64_MAX } from "./uint64.js";
import { toHex } from "./test-support/bytes.js";

/** A varied stream of messages: sizes from 0 to a few KiB, so the writer grows and shrinks. */
function sampleMessages(): Envelope[] {
  const out: Envelope[] = [];
  for (let i = 0; i < 200; i++) {
    const seq = (BigInt(i) * 0x9e3779b97f4a7c15n) & UINT64_MAX;
    if (i % 3 === 0) out.push(ping(seq));
    else if (i % 3 === 1) out.push(pong(seq));
    else out.push(errorReply(ErrorCode.CODE_HANDLER, "x".repeat((i * 37) % 3000), seq));
    if (i % 50 === 0) out.push({ payload: { case: undefined } });
  }
  return out;
}

describe("encode output ownership", () => {
  it("returns a buffer of exactly the encoded length that no later encode touches", () => {
    const a = envelopeCodec.encode(ping(42n));
    const b = envelopeCodec.encode(ping(43n));
    expect(a.byteLength).toBe(4);
    expect(toHex(a)).toBe("0a 02 08 2a");
    b[3] = 0; // the caller owns b; scribbling on it must not reach a
    expect(toHex(a)).toBe("0a 02 08 2a");
  });
});

describe("reuseWriter", () => {
  it("gives byte-identical output to a fresh writer per call", () => {
    const fresh = createEnvelopeCodec({ reuseWriter: false });
    const reusing = createEnvelopeCodec();
    for (const message of sampleMessages()) {
      expect(toHex(reusing.encode(message))).toBe(toHex(fresh.encode(message)));
    }
  });

  it("never corrupts an earlier output: each result is still intact after every later encode", () => {
    const reusing = createEnvelopeCodec({ reuseWriter: true });
    const messages = sampleMessages();
    const outputs = messages.map((message) => reusing.encode(message));
    const snapshots = outputs.map((bytes) => toHex(bytes));
    // More encodes through the same writer, then check every earlier buffer byte for byte.
    for (const message of messages.slice().reverse()) reusing.encode(message);
    for (const [i, bytes] of outputs.entries()) expect(toHex(bytes), `output ${i}`).toBe(snapshots[i]);
    for (const [i, bytes] of outputs.entries()) expect(reusing.decode(bytes)).toEqual(messages[i]);
  });

  it("recovers after an encode that throws halfway through a nested message", () => {
    // A type whose encoder opens a nested message (a fork) and then fails, as a throwing field would.
    const failsMidway: StaticMessageType<{ fail: boolean; seq: number }> = {
      encode(message, writer = protobuf.Writer.create()) {
        writer.uint32(10).fork().uint32(8).uint64(message.seq);
        if (message.fail) throw new TypeError("field value rejected");
        return writer.ldelim();
      },
      decode: () => ({ fail: false, seq: 0 }),
    };
    const reusing = createCodec(failsMidway, { reuseWriter: true, typeName: "Test" });
    expect(toHex(reusing.encode({ fail: false, seq: 42 }))).toBe("0a 02 08 2a");
    expect(() => reusing.encode({ fail: true, seq: 7 })).toThrow(EncodeError);
    // Without a clean writer this would start with the half-written 0a .. 08 07 of the failed call.
    expect(toHex(reusing.encode({ fail: false, seq: 42 }))).toBe("0a 02 08 2a");
  });

  it("stays correct after a message large enough to make it drop its grown buffer", () => {
    const reusing = createEnvelopeCodec({ reuseWriter: true });
    const big = errorReply(ErrorCode.CODE_HANDLER, "y".repeat(200_000), UINT64_MAX);
    expect(reusing.decode(reusing.encode(big))).toEqual(big);
    expect(toHex(reusing.encode(ping(42n)))).toBe("0a 02 08 2a");
  });
});

describe("createCodec error contract", () => {
  it("wraps anything an encoder or toWire throws into EncodeError(INVALID_VALUE), keeping the cause", () => {
    const cause = new TypeError("not a ping");
    const codec = createCodec(example.Envelope, {
      typeName: "Custom",
      toWire: (): example.Envelope => {
        throw cause;
      },
    });
    let thrown: unknown;
    try {
      codec.encode({} as example.Envelope);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EncodeError);
    expect(thrown).toMatchObject({ code: "INVALID_VALUE", message: "cannot encode Custom: not a ping", cause });
  });

  it("wraps anything fromWire throws into DecodeError(INVALID_VALUE), but passes a DecodeError through", () => {
    const rejecting = createCodec(example.Envelope, {
      fromWire: () => {
        throw new RangeError("seq 0 is reserved");
      },
    });
    expect(() => rejecting.decode(new Uint8Array(0))).toThrow(
      expect.objectContaining({
        name: "DecodeError",
        code: "INVALID_VALUE",
        message: "cannot decode Envelope: seq 0 is reserved",
      }),
    );
    const own = new DecodeError("MALFORMED", "mine");
    const passing = createCodec(example.Envelope, {
      fromWire: () => {
        throw own;
      },
    });
    expect(() => passing.decode(new Uint8Array(0))).toThrow(own);
  });

  it("names the generated type in messages by default", () => {
    const codec = createCodec(example.Ping);
    expect(() => codec.decode(Uint8Array.of(0x08))).toThrow(/cannot decode Ping: index out of range/);
  });

  it("applies maxBytes to custom codecs as well", () => {
    const codec = createCodec(example.Ping, { maxBytes: 2 });
    expect(codec.decode(Uint8Array.of(0x08, 0x2a)).seq).toMatchObject({ low: 42, high: 0 });
    expect(() => codec.decode(Uint8Array.of(0x08, 0x2a, 0x00))).toThrow(expect.objectContaining({ code: "TOO_LARGE" }));
  });
});

describe("rawCodec", () => {
  it("passes bytes through untouched in both directions", () => {
    const bytes = Uint8Array.of(1, 2, 3);
    expect(rawCodec.encode(bytes)).toBe(bytes);
    expect(rawCodec.decode(bytes)).toBe(bytes);
  });
});
