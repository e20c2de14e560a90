import { ZpbError, type ErrorCode } from "@zpb/proto";

const REQUEST_ERROR = Symbol.for("@zpb/server.RequestError");

/**
 * Thrown by a handler to refuse a request with a specific ErrorReply code (e.g. CODE_UNKNOWN_PAYLOAD
 * for a payload case it does not serve). Any other throw or rejection is answered with CODE_HANDLER.
 */
export class RequestError extends ZpbError<ErrorCode> {
  override readonly name = "RequestError";
  // biome-ignore lint/correctness/noUnusedPrivateClassMembers: read by Symbol.hasInstance below, across module copies
  private readonly [REQUEST_ERROR] = true;

  /** True for any RequestError, also one made by another copy of this module (a handler bundles its own). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[REQUEST_ERROR] === true;
  }
}

/** Why the server could not start or keep running; stable strings a caller can switch on. */
export type ServerErrorCode =
  /** An option is out of range or malformed. */
  | "INVALID_OPTION"
  /** The handler module could not be loaded or has no default-export function. */
  | "HANDLER_LOAD"
  /** A worker died before it was ready to serve (at startup: the server does not start). */
  | "WORKER_START"
  /** `pin` was asked for and a thread could not be pinned to its core (not Linux, or no `taskset`). */
  | "PIN"
  /** libzmq's proxy stopped on its own (the server can no longer route). */
  | "PROXY"
  /** A worker did not stop within the drain deadline plus grace (stuck in synchronous code). */
  | "STOP_TIMEOUT"
  /** Binding or another socket operation failed. */
  | "SOCKET"
  /**
   * A joined host (`join`) was refused by its front: its CURVE key is not in the front's `hostKeys`, or the
   * two ends disagree on security (one uses CURVE, the other not; a key that does not fit).
   */
  | "REFUSED";

/** A failure of the server itself (bad options, handler that will not load, a proxy that died). */
export class ServerError extends ZpbError<ServerErrorCode> {
  override readonly name = "ServerError";
}
