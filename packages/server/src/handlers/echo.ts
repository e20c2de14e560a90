// The built-in echo handler (`--handler echo`, and the echo service on tcp://127.0.0.1:25933): the bytes of
// each request come back unchanged. It shows a handler with its own codec: rawCodec, no protobuf at all.
import { rawCodec } from "@zpb/proto";

/** Requests are raw bytes: nothing is decoded. */
export const codec = rawCodec;

/** The reply is the request, byte for byte. */
export default function echoHandler(request: Uint8Array): Uint8Array {
  return request;
}
