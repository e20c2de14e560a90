// Hand-written encoding and decoding of the two Envelope shapes that make up nearly all traffic:
// `Envelope{ping{seq}}` and `Envelope{pong{seq}}` (docs/wire.md: `0a 02 08 2a` is ping seq 42). Going through
// protobufjs's generated code costs, per message, a Reader, the generated Envelope and Ping objects (whose
// oneof setter deletes properties), a Long for the uint64, then our own objects and a bigint; profiles of the
// batch path put it at the top of both the client and the server. These paths write and read the bytes
// directly and return undefined for anything else (an error reply, unknown fields, repeated fields, a seq
// beyond what they handle), which then goes through protobufjs as before: every input they accept has exactly
// one meaning, the one protobufjs gives it, and their output is byte for byte what protobufjs writes
// (envelope.spec.ts checks both).
import type protobuf from "protobufjs/minimal.js";
import type { Envelope } from "./envelope.js";

/** Envelope field 1 (ping) and 2 (pong), wire type 2; Ping/Pong field 1 (seq), wire type 0. */
const TAG_PING = 0x0a;
const TAG_PONG = 0x12;
const TAG_SEQ = 0x08;

/** Varints of up to this many bytes hold at most 49 bits: exact as a JS number. */
const MAX_FAST_VARINT_BYTES = 7;

/** protobufjs Writer internals the in-place writes use (public fields, one documented-private method). */
interface RawWriter {
  buf: Uint8Array;
  pos: number;
  _reserve(n: number): void;
}

/** Bytes of `n` (a safe non-negative integer) as a varint. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/**
 * bigint -> number and number -> bigint are runtime calls in Node 20, and they are a large part of a small
 * message's cost (measured per call: BigInt(n) 50-70 ns; Number(seq) 15 ns below 2^32, 140 ns for a 41-bit
 * seq). A bigint is built here by reading it out of a BigUint64Array whose two 32-bit halves were just
 * written (20 ns); comparing a bigint with a literal is inlined, so the range checks cost next to nothing.
 */
const wide = new BigUint64Array(1);
const halves = new Uint32Array(wide.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = LITTLE_ENDIAN ? 0 : 1;
const HIGH = 1 - LOW;

/** The seq of a ping or pong as a number, or -1 when the message is not a shape the fast path writes. */
function fastSeq(message: Envelope): number {
  const p = message.payload;
  if (p.case !== "ping" && p.case !== "pong") return -1;
  const seq = p.value.seq;
  // Negative seqs, seqs above 2^53-1 and non-bigints are left to the generic path and its checks.
  if (typeof seq !== "bigint" || seq < 0n || seq > 9007199254740991n) return -1;
  return Number(seq);
}

/** `n` (an integer in 0 … 2^53-1) as a bigint. */
function seqOfNumber(n: number): bigint {
  halves[LOW] = n >>> 0;
  halves[HIGH] = Math.floor(n / 4294967296);
  return wide[0]!;
}

/** Body length (tag + length + Ping/Pong) of a ping/pong Envelope whose seq is `seq`. */
function bodySize(seq: number): number {
  // proto3 leaves out a zero seq: `0a 00`.
  return seq === 0 ? 2 : 3 + varintSize(seq);
}

function writeBody(buf: Uint8Array, pos: number, tag: number, seq: number): number {
  buf[pos++] = tag;
  if (seq === 0) {
    buf[pos++] = 0;
    return pos;
  }
  buf[pos++] = 1 + varintSize(seq);
  buf[pos++] = TAG_SEQ;
  return writeVarint(buf, pos, seq);
}

/**
 * A ping or pong Envelope as a fresh Buffer, or undefined when it is another shape (or a seq above 2^53-1,
 * or not a bigint — left to the generic path and its checks).
 */
export function encodeEnvelopeFast(message: Envelope): Buffer | undefined {
  const seq = fastSeq(message);
  if (seq < 0) return undefined;
  const out = Buffer.allocUnsafe(bodySize(seq));
  writeBody(out, 0, message.payload.case === "ping" ? TAG_PING : TAG_PONG, seq);
  return out;
}

/** Appends a ping or pong Envelope with its length prefix to `writer`; false (nothing written) for other shapes. */
export function encodeEnvelopeDelimitedFast(message: Envelope, writer: protobuf.Writer): boolean {
  const seq = fastSeq(message);
  if (seq < 0) return false;
  const size = bodySize(seq);
  const raw = writer as unknown as RawWriter;
  raw._reserve(size + 1);
  // A body is at most 2 + 1 + 8 bytes: its length prefix is one byte.
  raw.buf[raw.pos] = size;
  raw.pos = writeBody(raw.buf, raw.pos + 1, message.payload.case === "ping" ? TAG_PING : TAG_PONG, seq);
  return true;
}

/**
 * The ping or pong Envelope in `bytes[start, end)` when it is exactly one canonical field — `0a|12, length,
 * [08, seq varint of up to 7 bytes]` — else undefined (the caller decodes it with protobufjs).
 */
export function decodeEnvelopeFast(bytes: Uint8Array, start: number, end: number): Envelope | undefined {
  if (end - start < 2) return undefined;
  const tag = bytes[start]!;
  if (tag !== TAG_PING && tag !== TAG_PONG) return undefined;
  const length = bytes[start + 1]!;
  if (length !== end - start - 2) return undefined; // also refuses a length of 128 or more (a longer prefix)
  let seq = 0;
  if (length > 0) {
    if (length > MAX_FAST_VARINT_BYTES + 1 || bytes[start + 2] !== TAG_SEQ) return undefined;
    let pos = start + 3;
    let scale = 1;
    for (;;) {
      // The varint cut off by the end of the Ping (or missing): malformed, protobufjs says how.
      if (pos === end) return undefined;
      const byte = bytes[pos++]!;
      seq += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    if (pos !== end) return undefined; // more fields after the seq
  }
  const value = { seq: seqOfNumber(seq) };
  return tag === TAG_PING ? { payload: { case: "ping", value } } : { payload: { case: "pong", value } };
}
