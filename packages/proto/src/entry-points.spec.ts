import { describeEntryPoints } from "@zpb/test-support/vitest";
import * as internal from "./internal.js";
import * as pub from "./index.js";

// The public surface is what the README documents; sibling-only building blocks stay behind "./internal".
describeEntryPoints(
  { public: pub, internal },
  [
    "DecodeError",
    "EncodeError",
    "ErrorCode",
    "UINT64_MAX",
    "ZpbError",
    "bigIntToUint64",
    "createCodec",
    "createEnvelopeCodec",
    "envelopeCodec",
    "errorReply",
    "example",
    "ping",
    "pong",
    "rawCodec",
    "seqOf",
    "uint64ToBigInt",
  ],
  ["createReader"],
);
