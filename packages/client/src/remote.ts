import { ErrorCode, type Envelope } from "@zpb/proto";
import { RemoteError } from "./errors.js";

/** Turns a reply into the error it reports, or undefined when it is an answer. */
export type RemoteErrorOf<T> = (reply: T) => Error | undefined;

/** The default for Envelope replies: an ErrorReply payload becomes a RemoteError carrying its code. */
export function envelopeRemoteError(reply: unknown): Error | undefined {
  const payload = (reply as Partial<Envelope> | null)?.payload;
  if (payload?.case !== "error") return undefined;
  return new RemoteError(payload.value.code, payload.value.message, payload.value.seq);
}

/**
 * Whether a failed reply says "not served here, try elsewhere" (CODE_UNAVAILABLE: the server is stopping, or
 * the worker host holding the request was lost). Such a request is retried like a timeout when its caller
 * allowed retries.
 */
export function isUnavailable(error: unknown): boolean {
  return error instanceof RemoteError && error.remoteCode === ErrorCode.CODE_UNAVAILABLE;
}
