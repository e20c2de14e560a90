import Long from "long";
import protobuf from "protobufjs/minimal.js";
import { describe, expect, it } from "vitest";
import { EncodeError } from "./errors.js";
import { UINT64_MAX, bigIntToUint64, uint64ToBigInt } from "./uint64.js";

const EDGES = [
  0n,
  1n,
  127n,
  128n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n,
  UINT64_MAX,
];

describe("uint64 ↔ bigint", () => {
  it("protobufjs decodes uint64 as Long (the long package loaded), which is what keeps 2^64-1 exact", () => {
    expect(protobuf.util.Long).toBeTruthy();
  });

  it.each(EDGES)("%s survives a protobufjs write and read exactly", (value) => {
    const bytes = protobuf.Writer.create()
      .uint64(bigIntToUint64(value) as number)
      .finish();
    const read = protobuf.Reader.create(bytes).uint64();
    expect(uint64ToBigInt(read)).toBe(value);
    // and agrees with long's own reading of the same value
    expect(Long.fromString(value.toString(), true).toString()).toBe(uint64ToBigInt(read).toString());
  });

  it("keeps values up to 2^32-1 as plain numbers (protobufjs's fast path), above that an unsigned Long", () => {
    expect(bigIntToUint64(0n)).toBe(0);
    expect(bigIntToUint64(2n ** 32n - 1n)).toBe(2 ** 32 - 1);
    const above = bigIntToUint64(2n ** 32n);
    expect(Long.isLong(above)).toBe(true);
    expect(above).toMatchObject({ low: 0, high: 1, unsigned: true });
  });

  it("reads signed-looking Long halves as unsigned", () => {
    expect(uint64ToBigInt(Long.fromBits(-1, -1, true))).toBe(UINT64_MAX);
    expect(uint64ToBigInt({ low: -1, high: 0 })).toBe(2n ** 32n - 1n);
    expect(uint64ToBigInt(null)).toBe(0n);
    expect(uint64ToBigInt(undefined)).toBe(0n);
  });

  it("refuses a number that cannot be exact rather than rounding it", () => {
    expect(uint64ToBigInt(2 ** 53 - 1)).toBe(2n ** 53n - 1n);
    expect(() => uint64ToBigInt(2 ** 53)).toThrow(RangeError);
  });

  it.each([-1n, UINT64_MAX + 1n])("refuses %s with EncodeError OUT_OF_RANGE", (value) => {
    expect(() => bigIntToUint64(value)).toThrow(EncodeError);
    expect(() => bigIntToUint64(value)).toThrow(expect.objectContaining({ code: "OUT_OF_RANGE" }));
  });
});
