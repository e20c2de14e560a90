import protobuf from "protobufjs/minimal.js";
import { DecodeError } from "./errors.js";

/** Turns messages of type T into bytes and back. `decode` throws only DecodeError. */
export interface Codec<T> {
  encode(message: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** The static class pbjs generates for a message (e.g. `example.Envelope`). */
export interface StaticMessageType<W> {
  encode(message: W, writer?: protobuf.Writer): protobuf.Writer;
  decode(reader: protobuf.Reader | Uint8Array, length?: number): W;
  name?: string;
}

export interface CodecOptions<T, W> {
  /** Inputs longer than this are refused with DecodeError("TOO_LARGE") before parsing. Default: no limit. */
  maxBytes?: number;
  /**
   * Encode every message through one Writer, `reset()` between calls, instead of a fresh one.
   * Off by default: measured slower than a fresh writer with protobufjs (see packages/bench).
   */
  reuseWriter?: boolean;
  /** Maps the caller's type to the generated one before encoding (e.g. bigint → Long). */
  toWire?: (message: T) => W;
  /** Maps a decoded message to the caller's type; may throw DecodeError for values it rejects. */
  fromWire?: (wire: W) => T;
  /** Names the type in error messages. Default: the generated class's name. */
  typeName?: string;
}

/**
 * A typed codec over a pbjs static message type: encode sizes its output once (protobufjs's
 * `finish()` allocates exactly the encoded length) and decode turns every failure into DecodeError.
 */
export function createCodec<W, T = W>(type: StaticMessageType<W>, options: CodecOptions<T, W> = {}): Codec<T> {
  const { maxBytes = Infinity, reuseWriter = false } = options;
  const toWire = options.toWire ?? ((m: T) => m as unknown as W);
  const fromWire = options.fromWire ?? ((w: W) => w as unknown as T);
  const typeName = options.typeName ?? type.name ?? "message";
  const shared = reuseWriter ? protobuf.Writer.create() : undefined;

  const encode = shared
    ? (message: T): Uint8Array => {
        const bytes = type.encode(toWire(message), shared).finish();
        shared.reset();
        return bytes;
      }
    : (message: T): Uint8Array => type.encode(toWire(message)).finish();

  const decode = (bytes: Uint8Array): T => {
    if (!(bytes instanceof Uint8Array)) {
      throw new DecodeError("NOT_BYTES", `cannot decode ${typeName}: expected a Uint8Array, got ${typeof bytes}`);
    }
    if (bytes.length > maxBytes) {
      throw new DecodeError("TOO_LARGE", `cannot decode ${typeName}: ${bytes.length} bytes exceeds the ${maxBytes}-byte limit`);
    }
    let wire: W;
    try {
      wire = type.decode(bytes);
    } catch (cause) {
      throw DecodeError.from(cause, typeName);
    }
    return fromWire(wire);
  };

  return { encode, decode };
}

/** Bytes in, the same bytes out: for raw services such as echo, and for forwarding without decoding. */
export const rawCodec: Codec<Uint8Array> = {
  encode: (bytes) => bytes,
  decode: (bytes) => bytes,
};
