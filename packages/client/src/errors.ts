import { ZpbError } from "@zpb/proto";
import type { HandshakeFailure, ReceiveError } from "@zpb/transport";
import { describeHandshakeFailure } from "@zpb/transport/internal";

/** Why a client call failed; stable strings a caller can switch on. */
export type ClientErrorCode =
  /** No reply within the timeout, after every allowed retry. */
  | "TIMEOUT"
  /** The caller's AbortSignal fired. */
  | "ABORTED"
  /** The client was closed before the call finished. */
  | "CLOSED"
  /** The server answered with an ErrorReply envelope. */
  | "REMOTE"
  /** A reply arrived but could not be decoded (see `cause`: a DecodeError or FrameError). */
  | "BAD_REPLY"
  /** The request cannot be matched to a reply: no key, or its key is already in flight. */
  | "BAD_REQUEST"
  /** The server's ZAP handler refused this client's CURVE key (libzmq reported ZMQ_EVENT_HANDSHAKE_FAILED_AUTH). */
  | "REFUSED"
  /** The security handshake failed: one side uses CURVE and the other does not, or the keys do not match. */
  | "HANDSHAKE";

/** Base class of every error a zpb client throws on purpose. */
export class ClientError extends ZpbError<ClientErrorCode> {
  override name = "ClientError";
}

/** No reply came in time; `attempts` requests were sent (1 + retries for the request client). */
export class TimeoutError extends ClientError {
  override name = "TimeoutError";

  constructor(
    message: string,
    readonly attempts: number,
    readonly timeoutMs: number,
  ) {
    super("TIMEOUT", message);
  }
}

/** The server answered the request with an ErrorReply; `remoteCode` is its ErrorReply.Code. */
export class RemoteError extends ClientError {
  override name = "RemoteError";

  constructor(
    readonly remoteCode: number,
    readonly remoteMessage: string,
    readonly seq: bigint,
  ) {
    super("REMOTE", `server error ${remoteCode}${remoteMessage ? `: ${remoteMessage}` : ""} (seq ${seq})`);
  }
}

/** The caller gave up through its AbortSignal; `cause` is the signal's reason. */
export class AbortedError extends ClientError {
  override name = "AbortedError";

  constructor(reason: unknown) {
    super("ABORTED", "request aborted", { cause: reason });
  }
}

/** Thrown to calls still pending (or made) after close(). */
export class ClosedError extends ClientError {
  override name = "ClosedError";

  constructor(what = "client") {
    super("CLOSED", `${what} is closed`);
  }
}

/** A reply that arrived but could not be turned into a message. */
export class BadReplyError extends ClientError {
  override name = "BadReplyError";

  constructor(cause: ReceiveError) {
    super("BAD_REPLY", `bad reply: ${cause.message}`, { cause });
  }
}

/** The server turned this client away during the CURVE handshake; `failure` is what libzmq reported. */
export class HandshakeError extends ClientError {
  override name = "HandshakeError";

  constructor(
    readonly failure: HandshakeFailure,
    /** This client's public key (Z85): what the server's operator would add to the allow-list. */
    readonly publicKey?: string,
  ) {
    const key =
      publicKey === undefined || failure.kind !== "refused" ? "" : ` (this client's public key: ${publicKey})`;
    super(failure.kind === "refused" ? "REFUSED" : "HANDSHAKE", `${describeHandshakeFailure(failure)}${key}`);
  }
}
