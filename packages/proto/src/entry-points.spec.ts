import { describeEntryPoints } from "@zpb/test-support/vitest";
import * as internal from "./internal.js";
import * as pub from "./index.js";

// The public surface is what the README documents; sibling-only building blocks stay behind "./internal".
describeEntryPoints(
  { public: pub, internal },
  [
    "BATCH_LIMITS",
    "BATCH_MARKER",
    "BatchWriter",
    "DecodeError",
    "EncodeError",
    "ErrorCode",
    "UINT64_MAX",
    "ZpbError",
    "bigIntToUint64",
    "createBatchCodec",
    "createCodec",
    "createEnvelopeCodec",
    "envelopeCodec",
    "errorReply",
    "example",
    "isBatchMarker",
    "joinBatch",
    "ping",
    "pong",
    "rawCodec",
    "seqOf",
    "splitBatch",
    "uint64ToBigInt",
  ],
  ["batchItemBounds", "createReader", "decodeBatchItem", "firstBatchItem"],
);
