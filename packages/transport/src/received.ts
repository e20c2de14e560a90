import { DecodeError, envelopeCodec, type Codec } from "@zpb/proto";
import { FrameError, type ReceiveError } from "./errors.js";

/**
 * One received message: either decoded, or the reason it was not, with its raw frames — so a receive
 * loop never dies on bad input and the caller can count it and answer (a REQ peer must get a reply).
 */
export type Received<T> =
  | { ok: true; message: T; frames: Buffer[] }
  | { ok: false; error: ReceiveError; frames: Buffer[] };

/** Counts kept by every socket; cheap increments, read them any time. */
export interface SocketCounters {
  received: number;
  sent: number;
  decodeErrors: number;
  frameErrors: number;
}

/** Fresh zeroed counters. */
export function newCounters(): SocketCounters {
  return { received: 0, sent: 0, decodeErrors: 0, frameErrors: 0 };
}

/** Decodes a single payload frame into a Received value, counting failures. */
export function decodeFrame<T>(
  codec: Codec<T>,
  payload: Buffer,
  frames: Buffer[],
  counters: SocketCounters,
): Received<T> {
  counters.received++;
  try {
    return { ok: true, message: codec.decode(payload), frames };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    counters.decodeErrors++;
    return { ok: false, error, frames };
  }
}

/** A Received value for a message whose frame count is wrong. */
export function badFrames<T>(frames: Buffer[], expected: string | FrameError, counters: SocketCounters): Received<T> {
  counters.received++;
  counters.frameErrors++;
  const error = expected instanceof FrameError ? expected : new FrameError(frames.length, expected);
  return { ok: false, error, frames };
}

/**
 * The caller's codec, or envelopeCodec when none was given. Constructors take their options as
 * `OptionsFor<T, …>`, which lets `codec` be left out only when T is Envelope: that is what makes the
 * narrowing below sound.
 */
export function codecOrDefault<T>(codec: Codec<T> | undefined): Codec<T> {
  return (codec ?? envelopeCodec) as Codec<T>;
}

/** Decodes a message that must be exactly one frame (REQ/REP). */
export function decodeSingle<T>(codec: Codec<T>, frames: Buffer[], counters: SocketCounters): Received<T> {
  return frames.length === 1
    ? decodeFrame(codec, frames[0]!, frames, counters)
    : badFrames<T>(frames, "1 frame", counters);
}
