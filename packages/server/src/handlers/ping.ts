// The built-in handler (`--handler ping`, the default): Ping → Pong with the request's seq. It is also
// the smallest example of the handler contract: an ESM module whose default export maps a request to a reply.
import { ErrorCode, pong, type Envelope } from "@zpb/proto";
import { RequestError } from "../errors.js";

/** Answers `Envelope{ping{seq}}` with `Envelope{pong{seq}}`; anything else is CODE_UNKNOWN_PAYLOAD. */
export default function pingHandler(request: Envelope): Envelope {
  const payload = request.payload;
  if (payload.case === "ping") return pong(payload.value.seq);
  throw new RequestError(
    ErrorCode.CODE_UNKNOWN_PAYLOAD,
    `this service answers ping, got ${payload.case ?? "an Envelope with no known payload"}`,
  );
}
