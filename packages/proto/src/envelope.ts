import { example } from "./gen/example.js";
import { createCodec, type Codec, type CodecOptions } from "./codec.js";
import { encodeEnvelopeDelimitedFast, decodeEnvelopeFast, encodeEnvelopeFast } from "./envelope-fast.js";
import { EncodeError } from "./errors.js";
import { bigIntToUint64, uint64ToBigInt, type WireUint64 } from "./uint64.js";

/** A request carrying a sequence number; `seq` is a bigint so the full uint64 range is exact. */
export interface Ping {
  seq: bigint;
}

/** The answer to a Ping, carrying the same seq. */
export interface Pong {
  seq: bigint;
}

/** Numeric reasons a server gives in an ErrorReply (the schema's `ErrorReply.Code`). */
export const ErrorCode = example.ErrorReply.Code;
export type ErrorCode = example.ErrorReply.Code;

/** A server's answer to a request it could not serve (field 3, zpb's extension of the example schema; docs/wire.md). */
export interface ErrorReply {
  /** An ErrorCode; a newer peer may send a number this version has no name for. */
  code: ErrorCode | number;
  message: string;
  /** The failed request's seq when the server could read it, else 0n. */
  seq: bigint;
}

/** The Envelope's oneof, tagged by `case`; `case: undefined` is an Envelope with no payload we know. */
export type Payload =
  | { case: "ping"; value: Ping }
  | { case: "pong"; value: Pong }
  | { case: "error"; value: ErrorReply }
  | { case: undefined; value?: undefined };

/**
 * The message every zpb service speaks: `Envelope { oneof payload { Ping ping = 1; Pong pong = 2; ErrorReply error = 3;
 * } }`.
 */
export interface Envelope {
  payload: Payload;
}

/** Builds `Envelope{ping{seq}}`. */
export function ping(seq: bigint | number): Envelope {
  // A bigint is taken as it is: BigInt(bigint) is a runtime call per message on every batched path.
  return { payload: { case: "ping", value: { seq: typeof seq === "bigint" ? seq : BigInt(seq) } } };
}

/** Builds `Envelope{pong{seq}}`. */
export function pong(seq: bigint | number): Envelope {
  return { payload: { case: "pong", value: { seq: typeof seq === "bigint" ? seq : BigInt(seq) } } };
}

/** Builds `Envelope{error{code, message, seq}}`. */
export function errorReply(code: ErrorCode | number, message: string, seq: bigint | number = 0n): Envelope {
  return { payload: { case: "error", value: { code, message, seq: BigInt(seq) } } };
}

/** The seq a message carries, whatever its case; undefined when it has none. */
export function seqOf(envelope: Envelope): bigint | undefined {
  return envelope.payload.case === undefined ? undefined : envelope.payload.value.seq;
}

type WireEnvelope = example.Envelope.$Properties;

function toWire(envelope: Envelope): WireEnvelope {
  const p = envelope.payload;
  switch (p.case) {
    case "ping":
      return { ping: { seq: bigIntToUint64(p.value.seq) } };
    case "pong":
      return { pong: { seq: bigIntToUint64(p.value.seq) } };
    case "error":
      return {
        error: { code: errorCodeToWire(p.value.code), message: p.value.message, seq: bigIntToUint64(p.value.seq) },
      };
    case undefined:
      return {};
    default:
      // Only reachable from untyped callers; encoding it as an empty Envelope would hide the mistake.
      throw new EncodeError(`unknown Envelope payload case: ${String((p as { case: unknown }).case)}`, "INVALID_VALUE");
  }
}

/** An enum travels as int32; anything else would be silently truncated by the writer. */
function errorCodeToWire(code: ErrorCode | number): ErrorCode {
  if (!Number.isInteger(code) || code < -0x80000000 || code > 0x7fffffff) {
    throw new EncodeError(`ErrorReply.code must be an int32, got ${String(code)}`, "OUT_OF_RANGE");
  }
  return code as ErrorCode;
}

function fromWire(wire: example.Envelope): Envelope {
  switch (wire.payload) {
    case "ping":
      return { payload: { case: "ping", value: { seq: uint64ToBigInt(wire.ping?.seq as WireUint64) } } };
    case "pong":
      return { payload: { case: "pong", value: { seq: uint64ToBigInt(wire.pong?.seq as WireUint64) } } };
    case "error": {
      const e = wire.error!;
      return {
        payload: {
          case: "error",
          value: { code: e.code ?? 0, message: e.message ?? "", seq: uint64ToBigInt(e.seq as WireUint64) },
        },
      };
    }
    default:
      return { payload: { case: undefined } };
  }
}

/** Options for an Envelope codec; see CodecOptions. */
export type EnvelopeCodecOptions = Pick<CodecOptions<Envelope, example.Envelope>, "maxBytes" | "reuseWriter">;

/** The Envelope codec through protobufjs's generated code only: what the fast paths are checked against. */
export function createGenericEnvelopeCodec(options: EnvelopeCodecOptions = {}): Codec<Envelope> {
  return createCodec<example.Envelope, Envelope>(example.Envelope, {
    ...options,
    typeName: "example.Envelope",
    toWire: toWire as (m: Envelope) => example.Envelope,
    fromWire,
  });
}

/**
 * A codec for Envelope with bigint seqs and typed DecodeErrors. Ping and pong Envelopes — nearly all traffic —
 * are written and read by hand (envelope-fast.ts: no protobufjs objects, Long or Reader per message); every
 * other shape goes through the generated code, with the same bytes and the same meaning either way.
 */
export function createEnvelopeCodec(options: EnvelopeCodecOptions = {}): Codec<Envelope> {
  const generic = createGenericEnvelopeCodec(options);
  const maxBytes = options.maxBytes ?? Infinity;
  const genericDelimited = generic.encodeDelimited!;
  return {
    encode: (message) => encodeEnvelopeFast(message) ?? generic.encode(message),
    decode: (bytes) => {
      // The generic path makes the NOT_BYTES and TOO_LARGE checks (and errors) for everything not fast.
      if (bytes instanceof Uint8Array && bytes.length <= maxBytes) {
        const fast = decodeEnvelopeFast(bytes, 0, bytes.length);
        if (fast !== undefined) return fast;
      }
      return generic.decode(bytes);
    },
    decodeRange: (bytes, start, end) => {
      if (end - start <= maxBytes) {
        const fast = decodeEnvelopeFast(bytes, start, end);
        if (fast !== undefined) return fast;
      }
      return generic.decode(bytes.subarray(start, end));
    },
    encodeDelimited: (message, writer) => {
      if (!encodeEnvelopeDelimitedFast(message, writer)) genericDelimited(message, writer);
    },
  };
}

/** The default Envelope codec: one reused writer (see CodecOptions.reuseWriter), no size limit. */
export const envelopeCodec: Codec<Envelope> = createEnvelopeCodec();
