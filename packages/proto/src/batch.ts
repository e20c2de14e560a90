// The batch wire (docs/wire.md, "Batches"; the proto README has a byte-level example): many messages in one
// ZeroMQ frame, in protobuf's standard length-delimited stream format — each message prefixed by its length
// as a varint, exactly what protobufjs's encodeDelimited, Java's writeDelimitedTo and Python's
// _VarintBytes(len(m)) + m write. A batch frame always follows the marker frame BATCH_MARKER, so a
// single-frame peer's traffic never changes meaning and no schema needs a new field.
import protobuf from "protobufjs/minimal.js";
import { DecodeError, EncodeError } from "./errors.js";
import type { Codec } from "./codec.js";

/** The frame that announces a batch: the 12 ASCII bytes `zpb.batch.v1` (7a 70 62 2e 62 61 74 63 68 2e 76 31). */
export const BATCH_MARKER: Buffer = Buffer.from("zpb.batch.v1", "latin1");

/** True when `frame` is exactly BATCH_MARKER. */
export function isBatchMarker(frame: Uint8Array): boolean {
  if (frame.length !== BATCH_MARKER.length) return false;
  for (let i = 0; i < frame.length; i++) if (frame[i] !== BATCH_MARKER[i]) return false;
  return true;
}

/** How much one batch frame may carry; a reader refuses more before doing any work per item. */
export interface BatchLimits {
  /** Items in one batch. Default BATCH_LIMITS.maxItems (4096). */
  maxItems?: number;
  /** Bytes of the whole batch frame (prefixes included). Default BATCH_LIMITS.maxBytes (4 MiB). */
  maxBytes?: number;
}

/** The default limits, in one place. */
export const BATCH_LIMITS = { maxItems: 4096, maxBytes: 4 * 1024 * 1024 } as const;

/** A length prefix is a varint32: at most 5 bytes (protobuf's own delimited readers refuse more). */
const MAX_PREFIX_BYTES = 5;

/**
 * Splits a batch frame into its items without copying: each item is a view (`subarray`) of `frame`, so
 * decode it (or copy it) before `frame` is reused. Throws DecodeError: TOO_LARGE (frame over `maxBytes`,
 * checked first), TOO_MANY_ITEMS, TRUNCATED (a prefix or an item runs past the end), MALFORMED (a prefix
 * over 5 bytes or above 2^32-1), EMPTY_BATCH, NOT_BYTES.
 */
export function splitBatch<B extends Uint8Array>(frame: B, limits: BatchLimits = {}): B[] {
  const bounds = batchItemBounds(frame, limits);
  const items = new Array<B>(bounds.length / 2);
  for (let i = 0; i < items.length; i++) items[i] = frame.subarray(bounds[2 * i]!, bounds[2 * i + 1]!) as B;
  return items;
}

/**
 * Where each item of a batch frame lies, as `[start0, end0, start1, end1, …]` (offsets into `frame`): what
 * splitBatch() checks and finds, without a view per item — for decoders with `Codec.decodeRange`. Throws
 * the same DecodeErrors as splitBatch().
 */
export function batchItemBounds(frame: Uint8Array, limits: BatchLimits = {}): number[] {
  if (!(frame instanceof Uint8Array)) throw new DecodeError("NOT_BYTES", "cannot split a batch: expected bytes");
  const maxItems = limits.maxItems ?? BATCH_LIMITS.maxItems;
  const maxBytes = limits.maxBytes ?? BATCH_LIMITS.maxBytes;
  if (frame.length > maxBytes) {
    throw new DecodeError("TOO_LARGE", `batch of ${frame.length} bytes exceeds the ${maxBytes}-byte limit`);
  }
  // Two passes: the first checks every prefix and counts the items, so the bounds array is allocated once
  // at its size (pushing grew it over and over, measured) and nothing is returned for a frame refused late.
  const end = frame.length;
  let pos = 0;
  let count = 0;
  while (pos < end) {
    if (count === maxItems) {
      throw new DecodeError("TOO_MANY_ITEMS", `batch holds more than the ${maxItems}-item limit`);
    }
    // The varint32 length prefix, inline: this loop runs once per message on every batched path.
    // (A running scale, not 2 ** shift: that is a Math.pow call per prefix byte.)
    let length = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (pos >= end) throw new DecodeError("TRUNCATED", `batch item ${count}: length prefix cut off`);
      if (i === MAX_PREFIX_BYTES) {
        throw new DecodeError("MALFORMED", `batch item ${count}: length prefix longer than 5 bytes`);
      }
      const byte = frame[pos++]!;
      length += (byte & 0x7f) * scale;
      scale *= 128;
      if (byte < 0x80) break;
    }
    if (length > 0xffffffff) {
      throw new DecodeError("MALFORMED", `batch item ${count}: length prefix above 2^32-1`);
    }
    if (length > end - pos) {
      throw new DecodeError(
        "TRUNCATED",
        `batch item ${count}: ${length} bytes announced, ${end - pos} left in the frame`,
      );
    }
    pos += length;
    count++;
  }
  if (count === 0) throw new DecodeError("EMPTY_BATCH", "a batch frame holds at least one item");
  const bounds = new Array<number>(2 * count);
  pos = 0;
  for (let i = 0; i < 2 * count; i += 2) {
    let length = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = frame[pos++]!;
      length += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    bounds[i] = pos;
    pos += length;
    bounds[i + 1] = pos;
  }
  return bounds;
}

/** Decodes item `start, end` of a batch frame: through decodeRange when the codec has it, else a view. */
export function decodeBatchItem<T>(codec: Codec<T>, frame: Uint8Array, start: number, end: number): T {
  return codec.decodeRange === undefined
    ? codec.decode(frame.subarray(start, end))
    : codec.decodeRange(frame, start, end);
}

/**
 * The first item of a batch frame (a view), or undefined when even that does not parse: what a server reads
 * to key the one error reply that refuses a whole batch (a limit exceeded, a later item cut off).
 */
export function firstBatchItem<B extends Uint8Array>(frame: B): B | undefined {
  let length = 0;
  let pos = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= frame.length || pos === MAX_PREFIX_BYTES) return undefined;
    const byte = frame[pos++]!;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
  }
  return length <= frame.length - pos ? (frame.subarray(pos, pos + length) as B) : undefined;
}

/** A writer grown past this by one large batch is dropped on finish(), so one burst does not pin memory. */
const MAX_RETAINED_BYTES = 1024 * 1024;

/**
 * Builds batch frames, reusing one growing buffer (a protobufjs Writer) across batches: `add()` encoded
 * items, or `addMessage()` messages — encoded in place when the codec has `encodeDelimited` (createCodec's
 * do), so a batch of n messages costs one buffer, not n — then `finish()` returns the frame as a fresh
 * Buffer the caller owns (safe to hand to zeromq, which sends frames over 128 bytes zero-copy) and empties
 * the writer for the next batch.
 */
export class BatchWriter {
  private writer: protobuf.Writer = protobuf.Writer.create();
  private items = 0;

  /** Items added since the last finish(). */
  get count(): number {
    return this.items;
  }

  /** Bytes the frame would have now (prefixes included). */
  get byteLength(): number {
    return this.writer.pos;
  }

  /** Appends one encoded message with its varint length prefix. */
  add(item: Uint8Array): this {
    this.writer.bytes(item);
    this.items++;
    return this;
  }

  /** Encodes `message` with `codec` and appends it; on EncodeError the writer is left as it was. */
  addMessage<T>(codec: Codec<T>, message: T): this {
    if (codec.encodeDelimited === undefined) return this.add(codec.encode(message));
    codec.encodeDelimited(message, this.writer);
    this.items++;
    return this;
  }

  /** The batch frame built so far, as a fresh Buffer; the writer starts a new batch. */
  finish(): Buffer {
    const frame = this.writer.finish() as Buffer;
    this.reset();
    return frame;
  }

  /** Drops what was added since the last finish(). */
  reset(): void {
    this.items = 0;
    if (this.writer.buf.length > MAX_RETAINED_BYTES) this.writer = protobuf.Writer.create();
    else {
      if (this.writer.states !== null) this.writer.states.length = 0;
      this.writer.pos = 0;
    }
  }
}

/** One batch frame holding `items` (already encoded), in order. */
export function joinBatch(items: readonly Uint8Array[]): Buffer {
  const writer = new BatchWriter();
  for (const item of items) writer.add(item);
  return writer.finish();
}

/** Encodes and decodes whole batches of T through a message codec; see createBatchCodec. */
export interface BatchCodec<T> {
  /** One batch frame holding every message, in order (at least one). Throws EncodeError from the item codec. */
  encode(messages: readonly T[]): Buffer;
  /** Every message of a batch frame, in order; throws DecodeError (an item's carries its index in the message). */
  decode(frame: Uint8Array): T[];
}

/**
 * A batch codec over any message codec (the Envelope's or your own schema's): the framing is the same for
 * every schema. Decoding splits without copying and refuses frames over `limits` before decoding any item.
 */
export function createBatchCodec<T>(codec: Codec<T>, limits: BatchLimits = {}): BatchCodec<T> {
  const writer = new BatchWriter();
  return {
    encode(messages) {
      if (messages.length === 0) throw new EncodeError("a batch carries at least one message", "INVALID_VALUE");
      try {
        for (const message of messages) writer.addMessage(codec, message);
        return writer.finish();
      } finally {
        writer.reset();
      }
    },
    decode(frame) {
      const bounds = batchItemBounds(frame, limits);
      const out = new Array<T>(bounds.length / 2);
      for (let i = 0; i < out.length; i++) {
        try {
          out[i] = decodeBatchItem(codec, frame, bounds[2 * i]!, bounds[2 * i + 1]!);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          throw new DecodeError(error.code, `batch item ${i}: ${error.message}`, { cause: error });
        }
      }
      return out;
    },
  };
}
