import protobuf from "protobufjs/minimal.js";
import { describe, expect, it } from "vitest";
import {
  BATCH_LIMITS,
  BATCH_MARKER,
  BatchWriter,
  createBatchCodec,
  firstBatchItem,
  isBatchMarker,
  joinBatch,
  splitBatch,
} from "./batch.js";
import { createCodec, rawCodec } from "./codec.js";
import { envelopeCodec, errorReply, ErrorCode, ping, pong, type Envelope } from "./envelope.js";
import { DecodeError, EncodeError } from "./errors.js";
import { example } from "./gen/example.js";
import { fromHex, mulberry32, toHex } from "./test-support/bytes.js";

/** What protobufjs's encodeDelimited writes for each message, concatenated: the reference framing. */
function delimitedByProtobufjs(messages: Envelope[]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const message of messages) {
    const wire = example.Envelope.decode(envelopeCodec.encode(message));
    example.Envelope.encode(wire, writer.fork()).ldelim();
  }
  return writer.finish();
}

function decodeError(run: () => unknown): DecodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
  throw new Error("expected a DecodeError, nothing was thrown");
}

describe("the batch marker", () => {
  it("is the 12 ASCII bytes zpb.batch.v1", () => {
    expect(toHex(BATCH_MARKER)).toBe("7a 70 62 2e 62 61 74 63 68 2e 76 31");
    expect(isBatchMarker(Buffer.from("zpb.batch.v1"))).toBe(true);
  });

  it("matches nothing else: a prefix, a longer frame, one changed byte, an empty frame", () => {
    expect(isBatchMarker(Buffer.from("zpb.batch.v"))).toBe(false);
    expect(isBatchMarker(Buffer.from("zpb.batch.v12"))).toBe(false);
    expect(isBatchMarker(Buffer.from("zpb.batch.v2"))).toBe(false);
    expect(isBatchMarker(new Uint8Array(0))).toBe(false);
    expect(isBatchMarker(envelopeCodec.encode(ping(1)))).toBe(false);
  });
});

describe("batch framing: protobuf's length-delimited stream", () => {
  it("the README's byte-level example: ping 1, ping 300, an empty Envelope", () => {
    const frame = createBatchCodec(envelopeCodec).encode([ping(1), ping(300), { payload: { case: undefined } }]);
    expect(toHex(frame)).toBe("04 0a 02 08 01 05 0a 03 08 ac 02 00");
  });

  it("is byte for byte what protobufjs's encodeDelimited writes, for small and large items", () => {
    const messages = [ping(0), pong(2n ** 64n - 1n), errorReply(ErrorCode.CODE_HANDLER, "x".repeat(200), 7)];
    messages.push(errorReply(ErrorCode.CODE_DECODE, "y".repeat(20_000), 8)); // a 3-byte length prefix
    const ours = createBatchCodec(envelopeCodec).encode(messages);
    expect(Buffer.compare(ours, delimitedByProtobufjs(messages))).toBe(0);
  });

  it("decodes what protobufjs's encodeDelimited wrote, in order", () => {
    const messages = [ping(5), pong(6), errorReply(ErrorCode.CODE_HANDLER, "z".repeat(300), 9)];
    expect(createBatchCodec(envelopeCodec).decode(delimitedByProtobufjs(messages))).toEqual(messages);
  });

  it("splits without copying: each item is a view into the frame", () => {
    const frame = joinBatch([fromHex("0a 02 08 01"), fromHex("0a 02 08 02")]);
    const items = splitBatch(frame);
    expect(items.map(toHex)).toEqual(["0a 02 08 01", "0a 02 08 02"]);
    expect(items[1]!.buffer).toBe(frame.buffer);
    frame[frame.length - 1] = 0x03;
    expect(toHex(items[1]!)).toBe("0a 02 08 03");
  });

  it("carries empty items (an empty message is the single byte 00)", () => {
    expect(splitBatch(fromHex("00 00 02 08 01")).map(toHex)).toEqual(["", "", "08 01"]);
  });

  it("is schema-agnostic: raw bytes batch as well as Envelopes", () => {
    const raw = createBatchCodec(rawCodec);
    const items = [Buffer.from("Hello"), Buffer.alloc(0), Buffer.alloc(70_000, 0xab)];
    const back = raw.decode(raw.encode(items));
    expect(back.map((b) => Buffer.from(b).toString("hex"))).toEqual(items.map((b) => b.toString("hex")));
  });
});

describe("batch limits and malformed frames: typed DecodeErrors", () => {
  it("TOO_LARGE before any parsing, TOO_MANY_ITEMS as soon as the count passes the limit", () => {
    const frame = joinBatch([fromHex("08 01"), fromHex("08 02"), fromHex("08 03")]);
    expect(decodeError(() => splitBatch(frame, { maxBytes: frame.length - 1 })).code).toBe("TOO_LARGE");
    expect(splitBatch(frame, { maxBytes: frame.length })).toHaveLength(3);
    expect(decodeError(() => splitBatch(frame, { maxItems: 2 })).code).toBe("TOO_MANY_ITEMS");
    expect(splitBatch(frame, { maxItems: 3 })).toHaveLength(3);
  });

  it("defaults to 4096 items and 4 MiB", () => {
    expect(BATCH_LIMITS).toEqual({ maxItems: 4096, maxBytes: 4 * 1024 * 1024 });
    const items = Array.from({ length: 4097 }, () => new Uint8Array(0));
    expect(decodeError(() => splitBatch(joinBatch(items))).code).toBe("TOO_MANY_ITEMS");
    expect(splitBatch(joinBatch(items.slice(1)))).toHaveLength(4096);
  });

  it.each([
    ["an item running past the end", "03 08 01", "TRUNCATED"],
    ["a length prefix cut off", "02 08 01 80", "TRUNCATED"],
    ["a 6-byte length prefix", "80 80 80 80 80 00", "MALFORMED"],
    ["a length prefix above 2^32-1", "ff ff ff ff 7f", "MALFORMED"],
    ["no item at all", "", "EMPTY_BATCH"],
  ])("%s → %s", (_what, hex, code) => {
    expect(decodeError(() => splitBatch(fromHex(hex))).code).toBe(code);
  });

  it("firstBatchItem reads the first item of a frame too big or too long to split, and nothing of a broken one", () => {
    const frame = joinBatch(Array.from({ length: 5000 }, (_, i) => envelopeCodec.encode(ping(i + 1))));
    expect(decodeError(() => splitBatch(frame)).code).toBe("TOO_MANY_ITEMS");
    expect(envelopeCodec.decode(firstBatchItem(frame)!)).toEqual(ping(1));
    expect(firstBatchItem(fromHex("02 08 01 ff"))).toEqual(fromHex("08 01"));
    expect(firstBatchItem(fromHex("05 08 01"))).toBeUndefined();
    expect(firstBatchItem(fromHex("80 80 80 80 80 01"))).toBeUndefined();
    expect(firstBatchItem(fromHex(""))).toBeUndefined();
  });

  it("refuses what is not bytes", () => {
    expect(decodeError(() => splitBatch("0a" as unknown as Uint8Array)).code).toBe("NOT_BYTES");
  });

  it("a bad item fails createBatchCodec's decode with its index and the item's code", () => {
    const frame = joinBatch([envelopeCodec.encode(ping(1)), fromHex("0a 05 08")]);
    const error = decodeError(() => createBatchCodec(envelopeCodec).decode(frame));
    expect(error.code).toBe("TRUNCATED");
    expect(error.message).toMatch(/^batch item 1: /);
  });

  it("20 000 seeded random frames split into items that survive a rejoin, or throw DecodeError", () => {
    const random = mulberry32(12);
    let split = 0;
    for (let n = 0; n < 20_000; n++) {
      const frame = Uint8Array.from({ length: Math.floor(random() * 24) }, () =>
        random() < 0.5 ? Math.floor(random() * 8) : Math.floor(random() * 256),
      );
      try {
        const items = splitBatch(frame, { maxItems: 16 });
        // Rejoining writes canonical prefixes (a peer may send 8f 00 for 15), so compare the items.
        expect(splitBatch(joinBatch(items)).map(toHex)).toEqual(items.map(toHex));
        expect(items.reduce((sum, item) => sum + item.length, 0)).toBeLessThan(frame.length + 1);
        split++;
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
      }
    }
    expect(split).toBeGreaterThan(500); // the generator produced valid frames too, not only garbage
  });
});

describe("BatchWriter: one reused buffer, fresh frames", () => {
  it("earlier frames stay intact while the writer grows and is reused", () => {
    const writer = new BatchWriter();
    const frames: Buffer[] = [];
    const expected: string[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const items = Array.from({ length: batch * 50 }, (_, i) => Buffer.alloc((i * 7) % 300, batch));
      items.push(Buffer.from([batch]));
      for (const item of items) writer.add(item);
      expect(writer.count).toBe(items.length);
      frames.push(writer.finish());
      expected.push(joinBatch(items).toString("hex"));
      expect(writer.count).toBe(0);
      expect(writer.byteLength).toBe(0);
    }
    expect(frames.map((f) => f.toString("hex"))).toEqual(expected);
  });

  it("createBatchCodec refuses an empty batch with EncodeError and recovers after a failed item", () => {
    const codec = createBatchCodec(envelopeCodec);
    expect(() => codec.encode([])).toThrow(EncodeError);
    expect(() => codec.encode([ping(1), ping(-1)])).toThrow(EncodeError);
    expect(toHex(codec.encode([ping(2)]))).toBe("04 0a 02 08 02"); // nothing of the failed batch leaked
  });
});

describe("BatchWriter with a codec's encodeDelimited (items encoded in place)", () => {
  it("writes the same frame as encoding each message and adding its bytes", () => {
    const messages = [
      ping(1),
      pong(300),
      errorReply(ErrorCode.CODE_HANDLER, "x".repeat(200), 7n),
      { payload: { case: undefined } } as Envelope,
    ];
    const inPlace = new BatchWriter();
    for (const m of messages) inPlace.addMessage(envelopeCodec, m);
    const copied = new BatchWriter();
    for (const m of messages) copied.add(envelopeCodec.encode(m));
    expect(inPlace.count).toBe(4);
    expect(inPlace.byteLength).toBe(copied.byteLength);
    const frame = inPlace.finish();
    expect(frame).toEqual(copied.finish());
    expect(splitBatch(frame).map((item) => envelopeCodec.decode(item))).toEqual(messages);
    expect(inPlace.count).toBe(0);
  });

  it("an item that fails half-way through encoding leaves the batch as it was, and the writer keeps working", () => {
    // A message type whose encoder writes a field, then fails: the bytes and the open fork must be undone.
    const flaky = createCodec<{ n: number }>({
      encode(message, writer = protobuf.Writer.create()) {
        writer.uint32(8).uint32(message.n);
        if (message.n < 0) throw new Error("negative");
        return writer;
      },
      decode: () => ({ n: 0 }),
    });
    const writer = new BatchWriter().addMessage(flaky, { n: 1 });
    expect(() => writer.addMessage(flaky, { n: -1 })).toThrow(EncodeError);
    writer.addMessage(flaky, { n: 2 });
    expect(writer.count).toBe(2);
    expect(toHex(writer.finish())).toBe("02 08 01 02 08 02");
  });
});
