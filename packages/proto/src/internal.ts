// @zpb/proto/internal — for sibling zpb packages only, not for applications: pieces of the codec that a sibling
// decoding zpb bytes by hand (outside a Codec) must share so it rejects exactly what the codecs reject.
// No stability promise beyond the zpb release it ships in; the public API is "@zpb/proto".

/** A protobufjs Reader that also rejects over-long varints in unknown fields (what every zpb codec decodes with). */
export { createReader } from "./reader.js";
/** The first item of a batch frame that could not be split whole: what keys a server's refusal (docs/wire.md, "Batches"). */
export { firstBatchItem } from "./batch.js";
/** Item offsets of a batch frame (splitBatch's checks, no view per item) and the decode of one item by offsets. */
export { batchItemBounds, decodeBatchItem } from "./batch.js";
