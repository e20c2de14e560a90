/**
 * Base of every error zpb throws on purpose, in every package: a stable `code` to switch on (a string, or
 * the ErrorReply code a server sent), the message, and the original error as `cause` where there was one.
 * `catch (e) { if (e instanceof ZpbError) count(e.code) }` covers codecs, sockets, servers and clients.
 */
export class ZpbError<C extends string | number = string | number> extends Error {
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Why bytes could not be decoded; stable strings a caller can switch on and count. */
export type DecodeErrorCode =
  /** The input ends inside a field: a cut-off message. */
  | "TRUNCATED"
  /** A tag carries a wire type protobuf does not define (6 or 7), or one a field cannot have. */
  | "INVALID_WIRE_TYPE"
  /** A varint, tag or length prefix is malformed (e.g. over 10 bytes). */
  | "MALFORMED"
  /** Nested groups or messages deeper than the recursion limit. */
  | "TOO_DEEP"
  /** The input is longer than the codec's `maxBytes`. */
  | "TOO_LARGE"
  /** The input is not a Uint8Array/Buffer. */
  | "NOT_BYTES"
  /** The bytes parsed, but the codec's `fromWire` mapping rejected a value in them. */
  | "INVALID_VALUE"
  /** A batch frame holds more items than the reader's `maxItems`. */
  | "TOO_MANY_ITEMS"
  /** A batch frame holds no item at all (a batch carries at least one message). */
  | "EMPTY_BATCH";

/** Thrown by every codec's `decode()`; never a raw protobufjs exception, never a half-filled object. */
export class DecodeError extends ZpbError<DecodeErrorCode> {
  override readonly name = "DecodeError";

  /** Wraps whatever protobufjs threw into a DecodeError with a code. */
  static from(cause: unknown, typeName: string): DecodeError {
    if (cause instanceof DecodeError) return cause;
    const text = cause instanceof Error ? cause.message : String(cause);
    return new DecodeError(classify(text), `cannot decode ${typeName}: ${text}`, { cause });
  }
}

/** Why a message could not be encoded. */
export type EncodeErrorCode =
  /** A number is outside its field's range (e.g. a uint64 seq below 0 or above 2^64-1). */
  | "OUT_OF_RANGE"
  /** A value has the wrong type for its field, or protobufjs refused the message. */
  | "INVALID_VALUE";

/** Thrown by `encode()` when a value cannot be represented on the wire (e.g. seq outside uint64). */
export class EncodeError extends ZpbError<EncodeErrorCode> {
  override readonly name = "EncodeError";

  constructor(message: string, code: EncodeErrorCode = "INVALID_VALUE", options?: { cause?: unknown }) {
    super(code, message, options);
  }

  /** Wraps whatever an encoder threw into an EncodeError with a code. */
  static from(cause: unknown, typeName: string): EncodeError {
    if (cause instanceof EncodeError) return cause;
    const text = cause instanceof Error ? cause.message : String(cause);
    return new EncodeError(`cannot encode ${typeName}: ${text}`, "INVALID_VALUE", { cause });
  }
}

function classify(text: string): DecodeErrorCode {
  if (text.startsWith("index out of range")) return "TRUNCATED";
  if (text.startsWith("invalid wire type")) return "INVALID_WIRE_TYPE";
  if (text.includes("max depth")) return "TOO_DEEP";
  if (text.startsWith("illegal buffer")) return "NOT_BYTES";
  return "MALFORMED";
}
