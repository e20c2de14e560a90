import { ZpbError, type DecodeError } from "@zpb/proto";

/** What went wrong at the socket layer; stable strings a caller can switch on. */
export type TransportErrorCode =
  /** A send or receive did not complete within the socket's timeout. */
  | "TIMEOUT"
  /** The socket was closed (by us) while or before the operation ran. */
  | "CLOSED"
  /** A second send or receive while one is pending on the same socket (zeromq allows one of each). */
  | "BUSY"
  /** A ROUTER with `mandatory` was asked to send to a peer that is not connected (EHOSTUNREACH). */
  | "UNROUTABLE"
  /** An endpoint that is not of a form libzmq can use (see parseEndpoint): refused before anything is sent. */
  | "INVALID_ENDPOINT"
  /** Any other libzmq failure; `cause` holds the original error. */
  | "SOCKET";

/** A failure of the socket itself (as opposed to a bad message, see FrameError / DecodeError). */
export class TransportError extends ZpbError<TransportErrorCode> {
  override readonly name = "TransportError";

  /** Maps a zeromq error (EAGAIN, EBADF, EBUSY, …) to a TransportError. */
  static from(cause: unknown, what: string): TransportError {
    if (cause instanceof TransportError) return cause;
    const code = (cause as { code?: string } | null)?.code;
    const text = cause instanceof Error ? cause.message : String(cause);
    const mapped = ERROR_CODES[code ?? ""] ?? "SOCKET";
    return new TransportError(mapped, `${what}: ${text}`, { cause });
  }
}

const ERROR_CODES: Record<string, TransportErrorCode> = {
  EAGAIN: "TIMEOUT",
  EBADF: "CLOSED",
  EBUSY: "BUSY",
  EHOSTUNREACH: "UNROUTABLE",
};

/** A message arrived with a frame count its pattern does not allow (e.g. 3 frames on REQ/REP). */
export class FrameError extends ZpbError<"BAD_FRAMES"> {
  override readonly name = "FrameError";

  constructor(
    /** Frames counted against `expected`: on ROUTER-shaped sockets, the frames after the routing envelope. */
    readonly frameCount: number,
    expected: string,
  ) {
    super("BAD_FRAMES", `expected ${expected}, got ${frameCount} frame${frameCount === 1 ? "" : "s"}`);
  }
}

/** Why a received message could not be delivered as a typed value. */
export type ReceiveError = DecodeError | FrameError;

/** Why a CURVE key or certificate could not be used; stable strings a caller can switch on. */
export type CurveErrorCode =
  /** Not a CURVE key: neither 40 characters of Z85 nor 32 bytes. */
  | "BAD_KEY"
  /** A certificate file that cannot be read or parsed, has no public key, or whose keys do not belong together. */
  | "BAD_CERTIFICATE"
  /** A secret key was needed but the certificate holds only a public key (the `NAME.key` file, not `NAME.key_secret`). */
  | "NO_SECRET_KEY"
  /** A certificate file or directory could not be read (missing, permissions); `cause` holds the fs error. */
  | "UNREADABLE"
  /** writeCertificates() would replace an existing file and was not asked to. */
  | "EXISTS";

/** A CURVE key, certificate file or allow-list directory that cannot be used. Messages never contain secret keys. */
export class CurveError extends ZpbError<CurveErrorCode> {
  override readonly name = "CurveError";
}
