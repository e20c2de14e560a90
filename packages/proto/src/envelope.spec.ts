import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError, type DecodeErrorCode } from "./errors.js";
import {
  ErrorCode,
  createEnvelopeCodec,
  envelopeCodec,
  errorReply,
  ping,
  pong,
  seqOf,
  type Envelope,
} from "./envelope.js";
import { UINT64_MAX } from "./uint64.js";
import { fromHex, mulberry32, toHex } from "./test-support/bytes.js";

const { encode, decode } = envelopeCodec;

/** Asserts that `fn` throws a DecodeError with this code (and nothing else: no raw protobufjs error). */
function expectDecodeError(fn: () => unknown, code: DecodeErrorCode): DecodeError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, "decode must throw").toBeInstanceOf(DecodeError);
  expect((thrown as DecodeError).code).toBe(code);
  return thrown as DecodeError;
}

const SEQ_EDGES: readonly bigint[] = [
  0n,
  1n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n, // the first integer a JS number cannot hold
  2n ** 64n - 1n,
];

describe("Envelope round trips", () => {
  it.each(SEQ_EDGES)("ping, pong and error keep seq %s exactly", (seq) => {
    for (const envelope of [ping(seq), pong(seq), errorReply(ErrorCode.CODE_HANDLER, "handler threw", seq)]) {
      const decoded = decode(encode(envelope));
      expect(decoded).toEqual(envelope);
      expect(seqOf(decoded)).toBe(seq);
      expect(typeof seqOf(decoded)).toBe("bigint");
    }
  });

  it("keeps every ErrorReply field, including codes this version has no name for", () => {
    const codes = [
      ErrorCode.CODE_UNSPECIFIED,
      ErrorCode.CODE_DECODE,
      ErrorCode.CODE_UNAVAILABLE,
      ErrorCode.CODE_DEADLINE,
    ];
    for (const code of [...codes, 99, -1]) {
      const envelope = errorReply(code, "bad frame: ünïcødé ✓", 7n);
      expect(decode(encode(envelope))).toEqual(envelope);
    }
  });

  it("keeps every ErrorReply code at its wire number (new codes take new numbers; none is renumbered)", () => {
    expect({ ...ErrorCode }).toMatchObject({
      CODE_UNSPECIFIED: 0,
      CODE_DECODE: 1,
      CODE_UNKNOWN_PAYLOAD: 2,
      CODE_BAD_FRAMES: 3,
      CODE_TOO_LARGE: 4,
      CODE_HANDLER: 5,
      CODE_UNAVAILABLE: 6,
      CODE_DEADLINE: 7,
    });
    // An ErrorReply{code 7} as bytes: field 3 (error) holding field 1 (code) = 7.
    expect([...encode(errorReply(ErrorCode.CODE_DEADLINE, ""))]).toEqual([0x1a, 0x02, 0x08, 0x07]);
  });

  it("round-trips an error reply with every field at its default", () => {
    const envelope = errorReply(ErrorCode.CODE_UNSPECIFIED, "");
    expect(decode(encode(envelope))).toEqual({ payload: { case: "error", value: { code: 0, message: "", seq: 0n } } });
  });

  it("round-trips the empty Envelope (no payload) as zero bytes", () => {
    const empty: Envelope = { payload: { case: undefined } };
    expect(encode(empty)).toHaveLength(0);
    expect(decode(encode(empty))).toEqual(empty);
    expect(seqOf(empty)).toBeUndefined();
  });

  it("builders accept numbers and produce bigint seqs", () => {
    expect(ping(5)).toEqual({ payload: { case: "ping", value: { seq: 5n } } });
    expect(pong(5)).toEqual({ payload: { case: "pong", value: { seq: 5n } } });
    expect(errorReply(ErrorCode.CODE_DECODE, "x")).toEqual({
      payload: { case: "error", value: { code: 1, message: "x", seq: 0n } },
    });
  });
});

describe("Envelope encode refuses what the wire cannot carry", () => {
  it.each([-1n, 2n ** 64n, -(2n ** 64n), 2n ** 70n])("seq %s → EncodeError OUT_OF_RANGE", (seq) => {
    for (const envelope of [ping(seq), pong(seq), errorReply(ErrorCode.CODE_HANDLER, "x", seq)]) {
      const error = (() => {
        try {
          encode(envelope);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).code).toBe("OUT_OF_RANGE");
      expect((error as EncodeError).message).toContain(String(seq));
    }
  });

  it("refuses the same out-of-range seq with a reused writer, and keeps working afterwards", () => {
    const codec = createEnvelopeCodec({ reuseWriter: true });
    expect(() => codec.encode(ping(-1n))).toThrow(EncodeError);
    expect(() => codec.encode(ping(UINT64_MAX + 1n))).toThrow(EncodeError);
    expect(toHex(codec.encode(ping(42n)))).toBe("0a 02 08 2a");
  });

  it("refuses an ErrorReply code outside int32 (the writer would truncate it)", () => {
    expect(() => encode(errorReply(2 ** 31, "x"))).toThrow(expect.objectContaining({ code: "OUT_OF_RANGE" }));
    expect(() => encode(errorReply(1.5, "x"))).toThrow(EncodeError);
  });

  it("refuses a payload case it does not know instead of sending an empty Envelope", () => {
    const bogus = { payload: { case: "trade", value: {} } } as unknown as Envelope;
    expect(() => encode(bogus)).toThrow(expect.objectContaining({ name: "EncodeError", code: "INVALID_VALUE" }));
  });

  it("takes a safe-integer number seq from untyped callers but refuses an inexact one", () => {
    const untyped = (seq: unknown) => ({ payload: { case: "ping", value: { seq } } }) as unknown as Envelope;
    expect(toHex(encode(untyped(42)))).toBe("0a 02 08 2a");
    expect(() => encode(untyped(2 ** 53))).toThrow(expect.objectContaining({ code: "INVALID_VALUE" }));
    expect(() => encode(untyped(1.5))).toThrow(EncodeError);
    expect(() => encode(untyped("42"))).toThrow(EncodeError);
  });
});

// Wire vectors. Every one was computed with protoc (libprotoc 3.21.12, Debian's protobuf-compiler), from
// packages/proto, with:
//   printf '%s' 'ping { seq: 42 }' | protoc --encode=example.Envelope -I proto proto/example.proto | od -An -tx1
// and the text on each line below in place of 'ping { seq: 42 }'.
// Interop: prost (as in the Rust prost + zmq example) writes canonical proto3 exactly as protoc does (fields in number
// order, defaults omitted, minimal varints), so these are also the bytes that example's Rust code sends and
// expects; e.g. its `Envelope{ping{seq:42}}` is 0a 02 08 2a.
const VECTORS: ReadonlyArray<[protocText: string, envelope: Envelope, hex: string]> = [
  ["ping { seq: 42 }", ping(42n), "0a 02 08 2a"],
  ["pong { seq: 42 }", pong(42n), "12 02 08 2a"],
  // proto3 omits a default: seq 0 leaves an empty Ping, not `08 00`.
  ["ping { seq: 0 }", ping(0n), "0a 00"],
  ["ping { seq: 1 }", ping(1n), "0a 02 08 01"],
  ["ping { seq: 4294967295 }", ping(2n ** 32n - 1n), "0a 06 08 ff ff ff ff 0f"],
  ["ping { seq: 4294967296 }", ping(2n ** 32n), "0a 06 08 80 80 80 80 10"],
  ["ping { seq: 9007199254740992 }", ping(2n ** 53n), "0a 09 08 80 80 80 80 80 80 80 10"],
  ["ping { seq: 9007199254740993 }", ping(2n ** 53n + 1n), "0a 09 08 81 80 80 80 80 80 80 10"],
  ["ping { seq: 18446744073709551615 }", ping(UINT64_MAX), "0a 0b 08 ff ff ff ff ff ff ff ff ff 01"],
  ["pong { seq: 18446744073709551615 }", pong(UINT64_MAX), "12 0b 08 ff ff ff ff ff ff ff ff ff 01"],
  [
    'error { code: CODE_DECODE message: "bad frame" seq: 7 }',
    errorReply(ErrorCode.CODE_DECODE, "bad frame", 7n),
    "1a 0f 08 01 12 09 62 61 64 20 66 72 61 6d 65 18 07",
  ],
  [
    'error { code: CODE_HANDLER message: "boom" seq: 18446744073709551615 }',
    errorReply(ErrorCode.CODE_HANDLER, "boom", UINT64_MAX),
    "1a 13 08 05 12 04 62 6f 6f 6d 18 ff ff ff ff ff ff ff ff ff 01",
  ],
  ["error { }", errorReply(ErrorCode.CODE_UNSPECIFIED, ""), "1a 00"],
  ["(empty input)", { payload: { case: undefined } }, ""],
];

describe("byte-exact wire vectors (protoc)", () => {
  it.each(VECTORS)("%s encodes to the protoc bytes and decodes back", (_text, envelope, hex) => {
    expect(toHex(encode(envelope))).toBe(hex);
    expect(decode(fromHex(hex))).toEqual(envelope);
  });

  it("the fresh-writer codec writes the same bytes as the default (reused writer)", () => {
    const fresh = createEnvelopeCodec({ reuseWriter: false });
    for (const [, envelope, hex] of VECTORS) expect(toHex(fresh.encode(envelope))).toBe(hex);
  });
});

describe("decode rejects bad input with a coded DecodeError", () => {
  it("truncated: every non-empty strict prefix of a vector is TRUNCATED", () => {
    for (const [text, , hex] of VECTORS) {
      const bytes = fromHex(hex);
      for (let cut = 1; cut < bytes.length; cut++) {
        const error = expectDecodeError(() => decode(bytes.subarray(0, cut)), "TRUNCATED");
        expect(error.message, text).toContain("example.Envelope");
      }
    }
  });

  it("a length prefix pointing past the end is TRUNCATED", () => {
    expectDecodeError(() => decode(fromHex("0a 05 08 2a")), "TRUNCATED");
    expectDecodeError(() => decode(fromHex("0a ff ff ff ff 07")), "TRUNCATED");
  });

  it("a varint over 10 bytes is MALFORMED", () => {
    // seq as 11 bytes: ten with the continuation bit set, then 01.
    expectDecodeError(() => decode(fromHex("0a 0c 08 ff ff ff ff ff ff ff ff ff ff 01")), "MALFORMED");
    // The same in an unknown varint field (skipped, but still bounded).
    const unknownTooLong = fromHex("48 ff ff ff ff ff ff ff ff ff ff 01");
    expectDecodeError(() => decode(unknownTooLong), "MALFORMED");
    expectDecodeError(() => decode(Buffer.from(unknownTooLong)), "MALFORMED"); // protobufjs's Buffer reader too
    expect(decode(fromHex("48 ff ff ff ff ff ff ff ff ff 01"))).toEqual({ payload: { case: undefined } }); // 10 is fine
    // An over-long tag and an over-long length prefix.
    expectDecodeError(() => decode(fromHex("8a 80 80 80 80 00 02 08 2a")), "MALFORMED");
    expectDecodeError(() => decode(fromHex("0a ff ff ff ff 0f")), "MALFORMED");
  });

  it("input over maxBytes is TOO_LARGE before any parsing; exactly maxBytes is fine", () => {
    const limited = createEnvelopeCodec({ maxBytes: 13 });
    const max = encode(ping(UINT64_MAX));
    expect(max).toHaveLength(13);
    expect(limited.decode(max)).toEqual(ping(UINT64_MAX));
    const tooLong = new Uint8Array(14); // zeros would be MALFORMED if parsed: TOO_LARGE proves no parse ran
    const error = expectDecodeError(() => limited.decode(tooLong), "TOO_LARGE");
    expect(error.message).toContain("14 bytes exceeds the 13-byte limit");
  });

  it("wire types 6 and 7, and a stray end-group, are INVALID_WIRE_TYPE", () => {
    expectDecodeError(() => decode(fromHex("0f")), "INVALID_WIRE_TYPE"); // field 1, wire type 7
    expectDecodeError(() => decode(fromHex("4e 00")), "INVALID_WIRE_TYPE"); // field 9, wire type 6
    expectDecodeError(() => decode(fromHex("0a 01 0e")), "INVALID_WIRE_TYPE"); // inside the Ping
    expectDecodeError(() => decode(fromHex("0c")), "INVALID_WIRE_TYPE"); // end-group with no group open
  });

  it("field number 0 and mismatched groups are MALFORMED", () => {
    expectDecodeError(() => decode(fromHex("00")), "MALFORMED");
    expectDecodeError(() => decode(fromHex("0a 02 00 00")), "MALFORMED");
    expectDecodeError(() => decode(fromHex("4b 54")), "MALFORMED"); // start group 9, end group 10
  });

  it("groups nested past protobuf's recursion limit (100) are TOO_DEEP", () => {
    const deep = new Uint8Array(200).fill(0x4b); // 200 × "start group 9"
    expectDecodeError(() => decode(deep), "TOO_DEEP");
  });

  it("anything but bytes is NOT_BYTES", () => {
    for (const input of ["0a02082a", null, undefined, 42, [10, 2, 8, 42], new ArrayBuffer(4), {}]) {
      expectDecodeError(() => decode(input as unknown as Uint8Array), "NOT_BYTES");
    }
  });

  it("keeps the protobufjs error as the cause", () => {
    const error = expectDecodeError(() => decode(fromHex("0f")), "INVALID_WIRE_TYPE");
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.name).toBe("DecodeError");
    expect(error).toBeInstanceOf(Error);
  });

  it("accepts a Uint8Array that is a view into a larger buffer (as a zeromq frame may be)", () => {
    const backing = fromHex("ff ff 0a 02 08 2a ff ff");
    expect(decode(backing.subarray(2, 6))).toEqual(ping(42n));
    expect(decode(Buffer.from(backing.buffer, 2, 4))).toEqual(ping(42n));
  });
});

// Bytes a newer peer sends, computed with protoc from src/test-support/newer-peer.proto (example.proto
// plus `Trade trade = 7` in the oneof, `uint64 trace_id = 9` on Envelope and `string note = 2` on Ping):
//   printf '%s' 'ping { seq: 42 } trace_id: 5' \
//     | protoc --encode=example.Envelope -I src/test-support src/test-support/newer-peer.proto | od -An -tx1
describe("unknown fields from a newer peer are tolerated", () => {
  it.each([
    ["ping { seq: 42 } trace_id: 5", "0a 02 08 2a 48 05", ping(42n)],
    ['ping { seq: 42 note: "hi" }', "0a 06 08 2a 12 02 68 69", ping(42n)],
    [
      "pong { seq: 18446744073709551615 } trace_id: 18446744073709551615",
      "12 0b 08 ff ff ff ff ff ff ff ff ff 01 48 ff ff ff ff ff ff ff ff ff 01",
      pong(UINT64_MAX),
    ],
    ['trade { symbol: "ES" }', "3a 04 0a 02 45 53", { payload: { case: undefined } }],
    ['trade { symbol: "ES" } trace_id: 300', "3a 04 0a 02 45 53 48 ac 02", { payload: { case: undefined } }],
  ] satisfies Array<[string, string, Envelope]>)("%s", (_text, hex, expected) => {
    const decoded = decode(fromHex(hex));
    expect(decoded).toEqual(expected);
    // Unknown fields are not carried into our Envelope: re-encoding gives the canonical old-schema bytes.
    expect(decode(encode(decoded))).toEqual(expected);
  });

  it("skips unknown fields of every wire type, including a legacy group", () => {
    // field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32, field 13 group, then ping 42
    const hex = "48 01  51 01 02 03 04 05 06 07 08  5a 02 ab cd  65 01 02 03 04  6b 08 01 6c  0a 02 08 2a";
    expect(decode(fromHex(hex))).toEqual(ping(42n));
  });

  it("a known field with an unexpected wire type is skipped as unknown, as protoc does", () => {
    expect(decode(fromHex("08 2a"))).toEqual({ payload: { case: undefined } }); // ping as a varint
    expect(decode(fromHex("0a 03 0a 01 2a"))).toEqual(ping(0n)); // seq as length-delimited
  });

  it("the last oneof member on the wire wins, and a repeated message merges (proto3 rules)", () => {
    expect(decode(fromHex("0a 02 08 01 12 02 08 02"))).toEqual(pong(2n));
    expect(decode(fromHex("12 02 08 02 0a 02 08 01"))).toEqual(ping(1n));
    expect(decode(fromHex("0a 02 08 01 0a 00"))).toEqual(ping(1n));
    expect(decode(fromHex("0a 02 08 01 0a 02 08 05"))).toEqual(ping(5n));
  });
});

/** A decoded value is well formed when it has exactly the documented shape, with in-range values. */
function expectWellFormed(envelope: Envelope): void {
  const p = envelope.payload;
  expect(Object.keys(envelope)).toEqual(["payload"]);
  switch (p.case) {
    case undefined:
      expect(p.value).toBeUndefined();
      return;
    case "ping":
    case "pong":
      expect(Object.keys(p.value)).toEqual(["seq"]);
      break;
    case "error":
      expect(Object.keys(p.value).sort()).toEqual(["code", "message", "seq"]);
      expect(Number.isInteger(p.value.code)).toBe(true);
      expect(typeof p.value.message).toBe("string");
      break;
    default:
      expect.unreachable(`unexpected case ${String((p as { case: unknown }).case)}`);
  }
  expect(typeof p.value.seq).toBe("bigint");
  expect(p.value.seq >= 0n && p.value.seq <= UINT64_MAX).toBe(true);
}

describe("fuzz: decode returns a well-formed Envelope or throws DecodeError, nothing else", () => {
  const ITERATIONS = 20_000;
  const random = mulberry32(0x5eed_2026);
  const byte = () => Math.floor(random() * 256);
  const seeds = VECTORS.map(([, , hex]) => fromHex(hex)).filter((b) => b.length > 0);

  /** Half pure noise, half valid vectors with a few bytes flipped, cut or spliced: these reach deeper code. */
  function nextInput(i: number): Uint8Array {
    if (i % 2 === 0) return Uint8Array.from({ length: Math.floor(random() * 40) }, byte);
    const seed = seeds[Math.floor(random() * seeds.length)]!;
    const out = Uint8Array.from(seed);
    for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) out[Math.floor(random() * out.length)] = byte();
    return random() < 0.3 ? out.subarray(0, Math.floor(random() * out.length)) : out;
  }

  it(`${ITERATIONS} inputs from a fixed seed`, () => {
    const outcomes = { decoded: 0, rejected: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      const input = nextInput(i);
      let result: Envelope;
      try {
        result = decode(input);
      } catch (error) {
        if (!(error instanceof DecodeError)) {
          throw new Error(`input ${toHex(input)} threw a non-DecodeError: ${String(error)}`, { cause: error });
        }
        outcomes.rejected++;
        continue;
      }
      expectWellFormed(result);
      // Whatever decoded re-encodes, and its canonical bytes decode to the same value.
      expect(decode(encode(result))).toEqual(result);
      outcomes.decoded++;
    }
    // Both branches must really be exercised, or the loop proves nothing.
    expect(outcomes.decoded).toBeGreaterThan(ITERATIONS / 20);
    expect(outcomes.rejected).toBeGreaterThan(ITERATIONS / 20);
  });
});
