import { describe, expect, it } from "vitest";
import { FrameError } from "./errors.js";
import { routeTo, singlePayload, splitRouted } from "./routing.js";

const b = (text: string) => Buffer.from(text);
const EMPTY = Buffer.alloc(0);

describe("splitRouted", () => {
  it("reads a bare DEALER message [id, payload] as undelimited", () => {
    const { peer, body } = splitRouted([b("id"), b("payload")]);
    expect(peer).toEqual({ identity: b("id"), route: [b("id")], delimited: false });
    expect(body).toEqual([b("payload")]);
  });

  it("reads a REQ message [id, '', payload] as delimited", () => {
    const { peer, body } = splitRouted([b("id"), EMPTY, b("payload")]);
    expect(peer).toEqual({ identity: b("id"), route: [b("id")], delimited: true });
    expect(body).toEqual([b("payload")]);
  });

  it("treats exactly two frames as [id, payload] even when the payload is empty", () => {
    const { peer, body } = splitRouted([b("id"), EMPTY]);
    expect(peer.delimited).toBe(false);
    expect(body).toEqual([EMPTY]);
  });

  it("keeps every routing frame of a message that crossed another ROUTER", () => {
    const { peer, body } = splitRouted([b("outer"), b("inner"), EMPTY, b("payload")]);
    expect(peer.identity).toEqual(b("outer"));
    expect(peer.route).toEqual([b("outer"), b("inner")]);
    expect(peer.delimited).toBe(true);
    expect(body).toEqual([b("payload")]);
  });

  it("leaves a multi-frame body without delimiter whole, for singlePayload to reject", () => {
    const { peer, body } = splitRouted([b("id"), b("a"), b("b")]);
    expect(peer).toEqual({ identity: b("id"), route: [b("id")], delimited: false });
    expect(body).toEqual([b("a"), b("b")]);
  });

  it("reads a REQ message with an empty payload [id, '', '']", () => {
    const { peer, body } = splitRouted([b("id"), EMPTY, EMPTY]);
    expect(peer.delimited).toBe(true);
    expect(body).toEqual([EMPTY]);
  });

  it("survives degenerate input (no frames, identity only)", () => {
    expect(splitRouted([]).body).toEqual([]);
    expect(splitRouted([b("id")]).body).toEqual([]);
  });
});

describe("routeTo", () => {
  it("answers a bare peer as [id, payload] and a delimited one as [id, '', payload]", () => {
    expect(routeTo({ identity: b("id"), route: [b("id")], delimited: false }, b("r"))).toEqual([b("id"), b("r")]);
    expect(routeTo({ identity: b("id"), route: [b("id")], delimited: true }, b("r"))).toEqual([b("id"), EMPTY, b("r")]);
  });

  it("round-trips with splitRouted: the reply has the request's envelope shape", () => {
    for (const frames of [
      [b("id"), b("x")],
      [b("id"), EMPTY, b("x")],
      [b("a"), b("b"), EMPTY, b("x")],
    ]) {
      const { peer } = splitRouted(frames);
      expect(routeTo(peer, b("x"))).toEqual(frames);
    }
  });
});

describe("singlePayload", () => {
  it("returns the only body frame", () => {
    expect(singlePayload([b("x")])).toEqual(b("x"));
  });

  it("returns a FrameError with the count for zero or several body frames", () => {
    for (const body of [[], [b("a"), b("b")]]) {
      const result = singlePayload(body);
      expect(result).toBeInstanceOf(FrameError);
      expect((result as FrameError).frameCount).toBe(body.length);
      expect((result as FrameError).code).toBe("BAD_FRAMES");
    }
  });
});
