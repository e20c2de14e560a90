import * as zmq from "zeromq";
import { describe, expect, it } from "vitest";
import { isZ85, z85Decode, z85Encode } from "./z85.js";
import { isCurveKey, publicKeyOf, z85Key } from "./keys.js";
import { CurveError } from "../errors.js";

describe("Z85 (RFC 32)", () => {
  it("encodes and decodes the RFC's test vector", () => {
    const bytes = Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect(z85Decode("HelloWorld")).toEqual(bytes);
  });

  it("round-trips libzmq's keys byte for byte", () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey, secretKey } = zmq.curveKeyPair();
      expect(z85Encode(z85Decode(publicKey))).toBe(publicKey);
      expect(z85Decode(secretKey)).toHaveLength(32);
    }
  });

  it("rejects text that is not Z85", () => {
    expect(isZ85("Hello World")).toBe(false); // space is outside the alphabet
    expect(isZ85("Hell")).toBe(false); // not a multiple of 5
    expect(() => z85Decode("Hell\u00e9")).toThrow(RangeError);
    expect(() => z85Decode("#####")).toThrow(/larger than 32 bits/);
    expect(() => z85Encode(Buffer.alloc(3))).toThrow(RangeError);
  });
});

describe("CURVE keys", () => {
  it("derives the public key libzmq paired with a secret key", () => {
    for (let i = 0; i < 10; i++) {
      const { publicKey, secretKey } = zmq.curveKeyPair();
      expect(publicKeyOf(secretKey)).toBe(publicKey);
      expect(publicKeyOf(z85Decode(secretKey))).toBe(publicKey);
    }
  });

  it("accepts 40 Z85 characters or 32 bytes, and names the key (never quoting it) when it refuses one", () => {
    const { secretKey } = zmq.curveKeyPair();
    expect(isCurveKey(secretKey)).toBe(true);
    expect(isCurveKey(z85Decode(secretKey))).toBe(true);
    expect(z85Key(z85Decode(secretKey))).toBe(secretKey);
    const almost = `${secretKey.slice(0, 39)} `;
    expect(isCurveKey(almost)).toBe(false);
    const error = (() => {
      try {
        z85Key(almost, "client secret key");
      } catch (e) {
        return e as CurveError;
      }
    })();
    expect(error).toBeInstanceOf(CurveError);
    expect(error?.code).toBe("BAD_KEY");
    expect(error?.message).toMatch(/^client secret key: .*40 characters \(not all Z85\)/);
    expect(error?.message).not.toContain(secretKey.slice(0, 39));
    expect(() => z85Key(Buffer.alloc(31))).toThrow(/got 31 bytes/);
  });
});
