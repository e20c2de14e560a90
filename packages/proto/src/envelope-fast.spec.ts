// The hand-written ping/pong paths (envelope-fast.ts) must be indistinguishable from protobufjs's generated
// code: the same bytes out, the same Envelope (or the same DecodeError code) back for any input.
import { describe, expect, it } from "vitest";
import { BatchWriter, createBatchCodec, splitBatch } from "./batch.js";
import { DecodeError } from "./errors.js";
import {
  createEnvelopeCodec,
  createGenericEnvelopeCodec,
  envelopeCodec,
  errorReply,
  ping,
  pong,
  type Envelope,
} from "./envelope.js";
import { decodeEnvelopeFast, encodeEnvelopeFast } from "./envelope-fast.js";
import { fromHex, mulberry32, toHex } from "./test-support/bytes.js";

const generic = createGenericEnvelopeCodec();

const SEQS: readonly bigint[] = [
  0n,
  1n,
  127n,
  128n,
  16383n,
  16384n,
  2n ** 28n - 1n,
  2n ** 28n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 40n + 1n,
  2n ** 49n - 1n, // the largest seq of a 7-byte varint: the fast decoder's limit
  2n ** 49n,
  2n ** 53n - 1n, // the fast encoder's limit
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 64n - 1n,
];

/** What decoding gives, comparably: the Envelope, or the DecodeError's code. */
function outcome(decode: () => Envelope): Envelope | string {
  try {
    return decode();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return `DecodeError ${(error as DecodeError).code}`;
  }
}

describe("the ping/pong fast paths", () => {
  it("write exactly the bytes protobufjs writes, whole and length-delimited in a batch", () => {
    for (const seq of SEQS) {
      for (const message of [ping(seq), pong(seq)]) {
        const expected = toHex(generic.encode(message));
        expect(toHex(envelopeCodec.encode(message)), `${message.payload.case} ${seq}`).toBe(expected);
        const writer = new BatchWriter();
        writer.addMessage(envelopeCodec, message).addMessage(envelopeCodec, message);
        const items = splitBatch(writer.finish());
        expect(items.map(toHex)).toEqual([expected, expected]);
      }
    }
    expect(toHex(envelopeCodec.encode(ping(42n)))).toBe("0a 02 08 2a");
    expect(toHex(envelopeCodec.encode(pong(0n)))).toBe("12 00");
  });

  it("leave other shapes and out-of-range seqs to the generic path (its bytes, its errors)", () => {
    expect(encodeEnvelopeFast(ping(2n ** 53n))).toBeUndefined();
    expect(encodeEnvelopeFast(errorReply(5, "boom", 3n))).toBeUndefined();
    expect(toHex(envelopeCodec.encode(errorReply(5, "boom", 3n)))).toBe(
      toHex(generic.encode(errorReply(5, "boom", 3n))),
    );
    const negative = { payload: { case: "ping", value: { seq: -1n } } } as Envelope;
    expect(() => envelopeCodec.encode(negative)).toThrow(/out of range/);
    const writer = new BatchWriter();
    expect(() => writer.addMessage(envelopeCodec, negative)).toThrow(/out of range/);
    expect(writer.count).toBe(0);
    expect(writer.byteLength).toBe(0);
  });

  it("read back every seq exactly, whole, by range and in batches", () => {
    const messages = SEQS.flatMap((seq) => [ping(seq), pong(seq)]);
    for (const message of messages) {
      const bytes = generic.encode(message);
      expect(envelopeCodec.decode(bytes)).toEqual(message);
      const padded = new Uint8Array(bytes.length + 6);
      padded.set(bytes, 3);
      expect(envelopeCodec.decodeRange!(padded, 3, 3 + bytes.length)).toEqual(message);
    }
    expect(createBatchCodec(envelopeCodec).decode(createBatchCodec(generic).encode(messages))).toEqual(messages);
  });

  it("take only canonical one-field shapes; anything else decodes as protobufjs decodes it", () => {
    const cases = [
      "0a00", // ping with the default seq
      "0a0208", // seq tag without a value: truncated
      "0a03082a00", // a byte after the seq
      "0a02082a0a020801", // two pings: protobufjs merges, the last seq wins
      "0a02082a1a00", // then an error
      "0a0408ffffff", // varint cut off at the end of the Ping
      "0a02082a10", // a stray tag after the Ping
      "0a0a08ffffffffffffffffff01", // 10-byte varint: 2^64-1
      "0a0b08ffffffffffffffffffff01", // 11-byte varint: malformed
      "0a09088080808080808001", // 8-byte varint: 2^49
      "0a0808808080808080800", // odd hex is caught below
      "0a0308aa00", // over-long but valid varint (0x2a padded)
      "0a0210012a", // wrong field number inside the Ping
      "0a020a00", // wrong wire type inside the Ping
      "0b02082a", // field 1 with wire type 3
      "1a0408011202", // error with a code and a truncated message
      "0a82000208", // the length as an over-long varint
      "", // an empty Envelope
    ].filter((hex) => hex.length % 2 === 0);
    for (const hex of cases) {
      const bytes = fromHex(hex);
      expect(
        outcome(() => envelopeCodec.decode(bytes)),
        hex,
      ).toEqual(outcome(() => generic.decode(bytes)));
    }
    // Random short Envelopes around the fast shapes: every one decodes (or fails) as protobufjs says.
    const random = mulberry32(12);
    for (let n = 0; n < 5000; n++) {
      const length = 2 + Math.floor(random() * 10);
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(random() * 256);
      bytes[0] = random() < 0.5 ? 0x0a : 0x12;
      if (random() < 0.7) bytes[1] = length - 2;
      if (random() < 0.7 && length > 2) bytes[2] = 0x08;
      const hex = toHex(bytes);
      expect(
        outcome(() => envelopeCodec.decode(bytes)),
        hex,
      ).toEqual(outcome(() => generic.decode(bytes)));
    }
  });

  it("are what the default codec uses (a regression guard: the fast decoder takes the common shape)", () => {
    expect(decodeEnvelopeFast(fromHex("0a02082a"), 0, 4)).toEqual(ping(42n));
    expect(decodeEnvelopeFast(fromHex("1a00"), 0, 2)).toBeUndefined();
  });

  it("respect the codec's maxBytes on the fast shapes too", () => {
    const small = createEnvelopeCodec({ maxBytes: 4 });
    const bytes = generic.encode(ping(2n ** 40n)); // 9 bytes
    expect(outcome(() => small.decode(bytes))).toBe("DecodeError TOO_LARGE");
    expect(outcome(() => small.decodeRange!(bytes, 0, bytes.length))).toBe("DecodeError TOO_LARGE");
    expect(small.decode(generic.encode(ping(42n)))).toEqual(ping(42n));
  });
});
