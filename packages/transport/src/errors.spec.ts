import { describe, expect, it } from "vitest";
import { FrameError, TransportError } from "./errors.js";

/** What zeromq.js rejects with: an Error carrying errno's name in `code`. */
function zmqError(code: string, message = "zmq says no"): Error {
  return Object.assign(new Error(message), { code, errno: 11 });
}

describe("TransportError.from", () => {
  it.each([
    ["EAGAIN", "TIMEOUT"],
    ["EBADF", "CLOSED"],
    ["EBUSY", "BUSY"],
    ["EHOSTUNREACH", "UNROUTABLE"],
    ["EPROTONOSUPPORT", "SOCKET"],
  ] as const)("maps %s to %s, keeping the cause and the operation", (errno, code) => {
    const cause = zmqError(errno);
    const error = TransportError.from(cause, "send");
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe(code);
    expect(error.cause).toBe(cause);
    expect(error.message).toBe("send: zmq says no");
    expect(error.name).toBe("TransportError");
  });

  it("maps things that are not errors to SOCKET", () => {
    expect(TransportError.from("boom", "bind x").code).toBe("SOCKET");
    expect(TransportError.from(null, "bind x").message).toBe("bind x: null");
  });

  it("passes a TransportError through unchanged", () => {
    const original = new TransportError("CLOSED", "closed");
    expect(TransportError.from(original, "send")).toBe(original);
  });
});

describe("FrameError", () => {
  it("says what was expected and what came", () => {
    const error = new FrameError(3, "1 frame");
    expect(error.message).toBe("expected 1 frame, got 3 frames");
    expect(new FrameError(1, "2 frames").message).toBe("expected 2 frames, got 1 frame");
    expect(error.frameCount).toBe(3);
    expect(error.code).toBe("BAD_FRAMES");
    expect(error.name).toBe("FrameError");
  });
});

describe("one error base across zpb", () => {
  it("TransportError and FrameError are ZpbErrors with their codes, like the codec's errors", async () => {
    const { ZpbError, DecodeError, EncodeError } = await import("@zpb/proto");
    const errors = [
      new TransportError("TIMEOUT", "receive"),
      new FrameError(3, "1 frame"),
      new DecodeError("TRUNCATED", "cut off"),
      new EncodeError("seq out of range", "OUT_OF_RANGE"),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(ZpbError);
    expect(errors.map((e) => e.code)).toEqual(["TIMEOUT", "BAD_FRAMES", "TRUNCATED", "OUT_OF_RANGE"]);
    expect(errors.map((e) => e.name)).toEqual(["TransportError", "FrameError", "DecodeError", "EncodeError"]);
  });
});
