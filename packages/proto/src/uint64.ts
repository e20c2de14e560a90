import type Long from "long";
import protobuf from "protobufjs/minimal.js";
import { EncodeError } from "./errors.js";

/** The Long class protobufjs itself loaded (the long package), so what we hand it is what it reads back. */
const LongClass = protobuf.util.Long as unknown as typeof Long;

/** The largest uint64, 2^64 - 1. */
export const UINT64_MAX = (1n << 64n) - 1n;

/** What protobufjs reads a 64-bit field as: a `Long` when the long package loads, else a number. */
export type WireUint64 = number | { low: number; high: number; unsigned?: boolean };

/** Reads a protobufjs 64-bit value as an exact unsigned bigint (no loss above 2^53). */
export function uint64ToBigInt(value: WireUint64 | null | undefined): bigint {
  if (value == null) return 0n;
  if (typeof value === "number") {
    // protobufjs falls back to numbers only when the long package failed to load; refuse to round.
    if (!Number.isSafeInteger(value)) throw new RangeError(`uint64 ${value} arrived as an inexact JS number`);
    return BigInt(value);
  }
  const low = BigInt(value.low >>> 0);
  return value.high === 0 ? low : (BigInt(value.high >>> 0) << 32n) | low;
}

/**
 * Turns a bigint into the form protobufjs writes exactly (a number up to 2^32-1, else an unsigned Long),
 * typed to fit pbjs-generated uint64 fields; throws EncodeError outside 0..2^64-1.
 */
export function bigIntToUint64(value: bigint): number | Long {
  // Plain JS callers may hand in a number; mixing it into bigint arithmetic below would throw a TypeError.
  if (typeof value !== "bigint") {
    if (!Number.isSafeInteger(value))
      throw new EncodeError(`uint64 must be a bigint, got ${String(value)}`, "INVALID_VALUE");
    value = BigInt(value);
  }
  if (value < 0n || value > UINT64_MAX) throw new EncodeError(`uint64 out of range: ${value}`, "OUT_OF_RANGE");
  // Small values stay numbers: protobufjs's fast path, and `0` keeps proto3's "omit the default".
  if (value <= 0xffffffffn) return Number(value);
  return LongClass.fromBits(Number(value & 0xffffffffn) | 0, Number(value >> 32n) | 0, true);
}
