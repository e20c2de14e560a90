import { describe, expect, it } from "vitest";
import { DEFAULT_ENDPOINTS, DEFAULT_SOCKET_OPTIONS, createSocket, zmqOptions } from "./options.js";

describe("zmqOptions", () => {
  it("applies zpb's defaults when the caller gives nothing", () => {
    expect(zmqOptions(undefined)).toEqual({ linger: 500 });
    expect(DEFAULT_SOCKET_OPTIONS.linger).toBe(500);
  });

  it("lets the caller's options win over defaults and over per-class extras", () => {
    expect(zmqOptions({ linger: 0, sendHighWaterMark: 10 }, { mandatory: true })).toEqual({
      linger: 0,
      sendHighWaterMark: 10,
      mandatory: true,
    });
    expect(zmqOptions({ mandatory: false } as object, { mandatory: true })).toEqual({ linger: 500, mandatory: false });
  });

  it("drops undefined values, so an explicit undefined keeps the default", () => {
    expect(zmqOptions({ linger: undefined, receiveTimeout: undefined })).toEqual({ linger: 500 });
  });

  it("never hands zpb's own options (codec, delimiter, topics) to zeromq", () => {
    const merged = zmqOptions({ codec: {}, delimiter: true, topics: ["a"], immediate: true } as object);
    expect(merged).toEqual({ linger: 500, immediate: true });
  });
});

describe("zmqOptions with CURVE keys", () => {
  it("hands keys to libzmq as Z85 text whether given as text or 32 bytes", async () => {
    const zmq = await import("zeromq");
    const { z85Decode } = await import("./curve/z85.js");
    const { publicKey, secretKey } = zmq.curveKeyPair();
    expect(zmqOptions({ curveServerKey: z85Decode(publicKey), curveSecretKey: secretKey })).toEqual({
      linger: 500,
      curveServerKey: publicKey,
      curveSecretKey: secretKey,
    });
  });

  it("fails on a malformed key by option name, without quoting it", () => {
    expect(() => zmqOptions({ curveSecretKey: "too-short-secret" })).toThrow(
      /^curveSecretKey: expected 40 characters of Z85 or 32 bytes, got 16 characters$/,
    );
  });
});

describe("DEFAULT_ENDPOINTS", () => {
  it("are all on loopback, never a wildcard", () => {
    for (const endpoint of Object.values(DEFAULT_ENDPOINTS)) expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
  });
});

describe("createSocket", () => {
  it("skips options the socket type lacks instead of throwing", async () => {
    const zmq = await import("zeromq");
    const sub = createSocket(zmq.Subscriber, zmqOptions({ sendTimeout: 5, receiveTimeout: 7, linger: 0 }));
    try {
      expect(sub.receiveTimeout).toBe(7);
      expect(sub.linger).toBe(0);
      expect("sendTimeout" in sub).toBe(false);
    } finally {
      sub.close();
    }
  });
});
