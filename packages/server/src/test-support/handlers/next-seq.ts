// A handler written in TypeScript (types, an interface, a parameter annotation): Node cannot run it as
// JavaScript, so it loads only when the server runs under a TypeScript loader (tsx).
import { ErrorCode, pong, type Envelope } from "@zpb/proto";
import { RequestError } from "../../errors.js";

interface Step {
  readonly by: bigint;
}

const step: Step = { by: 1n };

/** Ping{seq} → Pong{seq + 1}: a reply no built-in handler gives, so the test knows this module answered. */
export default function nextSeq(request: Envelope): Envelope {
  if (request.payload.case !== "ping") throw new RequestError(ErrorCode.CODE_UNKNOWN_PAYLOAD, "ping only");
  return pong(request.payload.value.seq + step.by);
}
