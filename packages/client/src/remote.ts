import type { Envelope } from "@zpb/proto";
import { RemoteError } from "./errors.js";

/** Turns a reply into the error it reports, or undefined when it is an answer. */
export type RemoteErrorOf<T> = (reply: T) => Error | undefined;

/** The default for Envelope replies: an ErrorReply payload becomes a RemoteError carrying its code. */
export function envelopeRemoteError(reply: unknown): Error | undefined {
  const payload = (reply as Partial<Envelope> | null)?.payload;
  if (payload?.case !== "error") return undefined;
  return new RemoteError(payload.value.code, payload.value.message, payload.value.seq);
}
