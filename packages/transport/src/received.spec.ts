import { DecodeError, envelopeCodec, ping, rawCodec, type Codec } from "@zpb/proto";
import { describe, expect, it } from "vitest";
import { FrameError } from "./errors.js";
import { codecOrDefault, decodeFrame, decodeSingle, newCounters } from "./received.js";

const GARBAGE = Buffer.from([0xff, 0xff, 0xff, 0xff]);

describe("decodeFrame", () => {
  it("decodes with the codec and counts the message", () => {
    const counters = newCounters();
    const payload = Buffer.from(envelopeCodec.encode(ping(42n)));
    const received = decodeFrame(envelopeCodec, payload, [payload], counters);
    expect(received).toEqual({ ok: true, message: ping(42n), frames: [payload] });
    expect(counters).toEqual({ received: 1, sent: 0, decodeErrors: 0, frameErrors: 0 });
  });

  it("turns undecodable bytes into an ok:false value with the DecodeError, counted", () => {
    const counters = newCounters();
    const received = decodeFrame(envelopeCodec, GARBAGE, [GARBAGE], counters);
    expect(received.ok).toBe(false);
    if (received.ok) return;
    expect(received.error).toBeInstanceOf(DecodeError);
    expect(received.frames).toEqual([GARBAGE]);
    expect(counters).toEqual({ received: 1, sent: 0, decodeErrors: 1, frameErrors: 0 });
  });

  it("does not swallow a codec bug (anything but DecodeError propagates)", () => {
    const broken: Codec<never> = {
      encode: () => new Uint8Array(),
      decode: () => {
        throw new TypeError("bug");
      },
    };
    expect(() => decodeFrame(broken, GARBAGE, [GARBAGE], newCounters())).toThrow(TypeError);
  });
});

describe("decodeSingle", () => {
  it("accepts exactly one frame", () => {
    const counters = newCounters();
    expect(decodeSingle(rawCodec, [Buffer.from("x")], counters)).toMatchObject({ ok: true, message: Buffer.from("x") });
  });

  it("rejects zero or several frames as a FrameError value, counted", () => {
    const counters = newCounters();
    for (const frames of [[], [Buffer.from("a"), Buffer.from("b")]]) {
      const received = decodeSingle(rawCodec, frames, counters);
      expect(received.ok).toBe(false);
      if (!received.ok) expect(received.error).toBeInstanceOf(FrameError);
    }
    expect(counters).toEqual({ received: 2, sent: 0, decodeErrors: 0, frameErrors: 2 });
  });
});

describe("codecOrDefault", () => {
  it("is envelopeCodec unless the caller brings one", () => {
    expect(codecOrDefault(undefined)).toBe(envelopeCodec);
    expect(codecOrDefault(rawCodec)).toBe(rawCodec);
  });
});
