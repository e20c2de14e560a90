import { DecodeError, ErrorCode } from "@zpb/proto";
import type { ReceiveError } from "@zpb/transport";
import { RequestError } from "./errors.js";
import { WorkerExit, die } from "./guard.js";
import type { LoadedHandler } from "./handler.js";
import { Counter } from "./stats.js";

const EMPTY = new Uint8Array(0);

/** Which counter an ErrorReply code lands in (any other code counts as a handler error). */
const COUNTER_OF_CODE: Partial<Record<number, number>> = {
  [ErrorCode.CODE_DECODE]: Counter.decodeErrors,
  [ErrorCode.CODE_UNKNOWN_PAYLOAD]: Counter.unknownPayload,
  [ErrorCode.CODE_BAD_FRAMES]: Counter.badFrames,
  [ErrorCode.CODE_TOO_LARGE]: Counter.tooLarge,
  [ErrorCode.CODE_UNAVAILABLE]: Counter.unavailable,
  [ErrorCode.CODE_DEADLINE]: Counter.deadlines,
};

/**
 * Turns every fault into the error reply a peer gets (in the handler's schema; an empty frame when it has
 * none, so a REQ peer is still answered) and counts it. The codes are the wire's (see docs/wire.md).
 */
export class ErrorReplies<T> {
  constructor(
    private readonly handler: LoadedHandler<T>,
    private readonly counters: Float64Array,
  ) {}

  /** For a message that could not be decoded or had the wrong frames. */
  forReceiveError(error: ReceiveError): Uint8Array {
    const code =
      error instanceof DecodeError
        ? error.code === "TOO_LARGE"
          ? ErrorCode.CODE_TOO_LARGE
          : ErrorCode.CODE_DECODE
        : ErrorCode.CODE_BAD_FRAMES;
    return this.build(code, error.message, undefined);
  }

  /** For a handler that threw or rejected: its RequestError's code, else CODE_HANDLER. */
  forFailure(error: unknown, request: T): Uint8Array {
    if (error instanceof RequestError) return this.build(error.code, error.message, request);
    if (error instanceof WorkerExit) {
      // The handler called process.exit(): answer this request, then the thread goes (see guard.ts).
      queueMicrotask(() => die(error));
      return this.build(ErrorCode.CODE_HANDLER, error.message, request);
    }
    const text = error instanceof Error ? error.message : String(error);
    return this.build(ErrorCode.CODE_HANDLER, `handler failed: ${text}`, request);
  }

  /** For a reply the codec could not encode. */
  forUnencodable(error: unknown, request: T): Uint8Array {
    this.counters[Counter.handlerErrors]!++;
    const text = error instanceof Error ? error.message : String(error);
    return this.build(ErrorCode.CODE_HANDLER, `the handler's reply could not be encoded: ${text}`, request, false);
  }

  /** Counts the fault (unless `count` is false) and encodes its reply. */
  build(code: ErrorCode, message: string, request: T | undefined, count = true): Uint8Array {
    if (count) this.counters[COUNTER_OF_CODE[code] ?? Counter.handlerErrors]!++;
    const errorReply = this.handler.errorReply;
    if (errorReply === undefined) return EMPTY;
    try {
      return this.handler.codec.encode(errorReply(code, message, request));
    } catch {
      return EMPTY;
    }
  }
}
