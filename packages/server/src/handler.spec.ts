import { describe, expect, it } from "vitest";
import { ErrorCode, ZpbError, envelopeCodec, errorReply, ping, pong, rawCodec } from "@zpb/proto";
import { pathToFileURL } from "node:url";
import { envelopeErrorReply, resolveHandlerSpec, toLoadedHandler } from "./handler.js";
import { RequestError, ServerError } from "./errors.js";
import pingHandler from "./handlers/ping.js";
import echoHandler from "./handlers/echo.js";

describe("resolveHandlerSpec", () => {
  it("keeps builtin names and URLs, and turns paths into file URLs against cwd", () => {
    expect(resolveHandlerSpec("ping")).toBe("ping");
    expect(resolveHandlerSpec("echo")).toBe("echo");
    expect(resolveHandlerSpec("file:///opt/h.js")).toBe("file:///opt/h.js");
    expect(resolveHandlerSpec(new URL("file:///opt/h.js"))).toBe("file:///opt/h.js");
    expect(resolveHandlerSpec("/abs/h.js")).toBe(pathToFileURL("/abs/h.js").href);
    expect(resolveHandlerSpec("./h.js", "/srv/app")).toBe(pathToFileURL("/srv/app/h.js").href);
    expect(resolveHandlerSpec("handlers/h.mjs", "/srv/app")).toBe(pathToFileURL("/srv/app/handlers/h.mjs").href);
  });
});

describe("toLoadedHandler", () => {
  it("fills in the Envelope codec and its error reply when the module has neither", () => {
    const loaded = toLoadedHandler({ default: pingHandler as never }, "test");
    expect(loaded.codec).toBe(envelopeCodec);
    expect(loaded.errorReply!(ErrorCode.CODE_DECODE, "bad", undefined)).toEqual(
      errorReply(ErrorCode.CODE_DECODE, "bad", 0n),
    );
    expect(loaded.errorReply!(ErrorCode.CODE_HANDLER, "x", ping(9n))).toEqual(
      errorReply(ErrorCode.CODE_HANDLER, "x", 9n),
    );
  });

  it("has no error reply for a module with its own codec and none of its own", () => {
    const loaded = toLoadedHandler({ default: echoHandler as never, codec: rawCodec as never }, "test");
    expect(loaded.errorReply).toBeUndefined();
  });

  it("refuses a module without a default-export function", () => {
    expect(() => toLoadedHandler({}, "m.js")).toThrow(ServerError);
    expect(() => toLoadedHandler({}, "m.js")).toThrow(ZpbError);
    expect(() => toLoadedHandler({ default: 42 as never }, "m.js")).toThrow(/default export/);
    expect(() => toLoadedHandler({ default: () => 1, codec: {} as never }, "m.js")).toThrow(/codec/);
  });
});

describe("built-in handlers", () => {
  it("ping answers Ping with a Pong of the same seq and refuses anything else with CODE_UNKNOWN_PAYLOAD", () => {
    expect(pingHandler(ping(5n))).toEqual(pong(5n));
    for (const request of [pong(5n), { payload: { case: undefined } } as const]) {
      const refusal = expect(() => pingHandler(request));
      refusal.toThrow(RequestError);
      refusal.toThrow(expect.objectContaining({ code: ErrorCode.CODE_UNKNOWN_PAYLOAD }));
    }
  });

  it("echo returns the very bytes it got", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(echoHandler(bytes)).toBe(bytes);
  });

  it("envelopeErrorReply carries the request's seq", () => {
    expect(envelopeErrorReply(ErrorCode.CODE_TOO_LARGE, "m", pong(3n))).toEqual(
      errorReply(ErrorCode.CODE_TOO_LARGE, "m", 3n),
    );
  });
});

describe("RequestError", () => {
  it("is recognised across copies of the class (a handler bundles its own)", () => {
    const foreign = Object.assign(new Error("x"), { [Symbol.for("@zpb/server.RequestError")]: true, code: 2 });
    expect(foreign instanceof RequestError).toBe(true);
    expect(new Error("plain") instanceof RequestError).toBe(false);
  });
});
