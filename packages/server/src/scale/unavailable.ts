import { ErrorCode } from "@zpb/proto";
import { loadHandler } from "../handler-load.js";

const EMPTY = new Uint8Array(0);

/**
 * How the broker answers a request it cannot get served (its host was lost, or the server is stopping):
 * `CODE_UNAVAILABLE` in the handler's own schema, from the module's `errorReply` — the same reply a worker
 * gives while draining — or an empty frame for a module with its own codec and no `errorReply`.
 */
export async function unavailableReplyOf(
  handlerSpec: string,
): Promise<(payload: Buffer, message: string) => Uint8Array> {
  const { codec, errorReply } = await loadHandler(handlerSpec);
  return (payload, message) => {
    if (errorReply === undefined) return EMPTY;
    let request: unknown;
    try {
      request = codec.decode(payload);
    } catch {
      request = undefined;
    }
    try {
      return codec.encode(errorReply(ErrorCode.CODE_UNAVAILABLE, message, request));
    } catch {
      return EMPTY;
    }
  };
}
