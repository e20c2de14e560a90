// @zpb/proto — the zpb schema (docs/wire.md), its generated code and typed codecs: what applications use. The
// pieces sibling zpb packages share beyond that are in "@zpb/proto/internal".
export { createCodec, rawCodec, type Codec, type CodecOptions, type StaticMessageType } from "./codec.js";
export {
  BATCH_LIMITS,
  BATCH_MARKER,
  BatchWriter,
  createBatchCodec,
  isBatchMarker,
  joinBatch,
  splitBatch,
  type BatchCodec,
  type BatchLimits,
} from "./batch.js";
export { DecodeError, EncodeError, ZpbError, type DecodeErrorCode, type EncodeErrorCode } from "./errors.js";
export { UINT64_MAX, bigIntToUint64, uint64ToBigInt, type WireUint64 } from "./uint64.js";
export {
  ErrorCode,
  createEnvelopeCodec,
  envelopeCodec,
  errorReply,
  ping,
  pong,
  seqOf,
  type Envelope,
  type EnvelopeCodecOptions,
  type ErrorReply,
  type Payload,
  type Ping,
  type Pong,
} from "./envelope.js";
/** The generated static classes (pbjs), for reflection-free access to the raw wire types. */
export { example } from "./gen/example.js";
