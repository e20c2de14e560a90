import { describe, expect, it } from "vitest";
import * as internal from "./internal.js";
import * as pub from "./index.js";

// The public surface is what the README documents; sibling-only building blocks stay behind "./internal".
describe("entry points", () => {
  it("the public entry exports exactly the documented API", () => {
    expect(Object.keys(pub).sort()).toEqual(PUBLIC);
  });

  it("the internal entry holds the sibling-only pieces, none of them public", () => {
    expect(Object.keys(internal).sort()).toEqual(INTERNAL);
    for (const name of INTERNAL) expect(Object.keys(pub)).not.toContain(name);
  });
});

const PUBLIC = [
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
];
const INTERNAL = ["createReader"];
