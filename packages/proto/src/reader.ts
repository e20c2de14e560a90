import protobuf from "protobufjs/minimal.js";

const MAX_VARINT_BYTES = 10;

/**
 * protobufjs skips an unknown varint field of any length; protobuf (and protoc) allow at most 10 bytes.
 * Bounding it here makes an over-long varint malformed wherever it appears, known field or not.
 */
function skipStrict(this: protobuf.Reader, length?: number): protobuf.Reader {
  if (typeof length === "number") return protobuf.Reader.prototype.skip.call(this, length);
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (this.pos >= this.len) throw new RangeError(`index out of range: ${this.pos} + 1 > ${this.len}`);
    if (this.buf[this.pos++]! < 128) return this;
  }
  throw new Error("invalid varint encoding");
}

/** protobufjs's Buffer reader (fast string/bytes paths) with the strict varint skip. */
class StrictBufferReader extends protobuf.BufferReader {}
/** protobufjs's plain Uint8Array reader with the strict varint skip. */
class StrictReader extends protobuf.Reader {}
StrictBufferReader.prototype.skip = skipStrict;
StrictReader.prototype.skip = skipStrict;

/** A protobufjs Reader over `bytes` that also rejects over-long varints in unknown fields. */
export function createReader(bytes: Uint8Array): protobuf.Reader {
  return Buffer.isBuffer(bytes) ? new StrictBufferReader(bytes) : new StrictReader(bytes);
}
