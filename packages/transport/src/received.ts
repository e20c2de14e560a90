import { DecodeError, envelopeCodec, type BatchLimits, type Codec } from "@zpb/proto";
import { batchItemBounds, decodeBatchItem } from "@zpb/proto/internal";
import { FrameError, type ReceiveError } from "./errors.js";

/**
 * One received message: either decoded, or the reason it was not, with its raw frames — so a receive
 * loop never dies on bad input and the caller can count it and answer (a REQ peer must get a reply).
 */
export type Received<T> =
  | { ok: true; message: T; frames: Buffer[] }
  | { ok: false; error: ReceiveError; frames: Buffer[] };

/**
 * Everything one ZeroMQ message carried: one message, or the items of a batch (docs/wire.md, "Batches"),
 * each decoded on its own so one bad item does not spoil the others.
 */
export interface Incoming<T> {
  /** True when the message was a batch: the marker frame, then the batch frame. */
  batch: boolean;
  /** The messages in order: one for a single-frame message, a batch's items for a batch; empty when `refused`. */
  items: Received<T>[];
  /** Why a batch was refused as a whole (a limit, or framing that does not split): none of it was decoded. */
  refused: DecodeError | undefined;
  frames: Buffer[];
}

/** Counts kept by every socket; cheap increments, read them any time. */
export interface SocketCounters {
  /** Messages received; each item of a batch counts, and so does a refused batch (once). */
  received: number;
  /** Messages sent; each item of a batch counts. */
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

/** A single-frame message as an Incoming. */
export function incomingSingle<T>(received: Received<T>): Incoming<T> {
  return { batch: false, items: [received], refused: undefined, frames: received.frames };
}

/** Splits a batch frame (zero-copy) and decodes each item, counting; a frame that does not split is `refused`. */
export function decodeBatch<T>(
  codec: Codec<T>,
  batch: Buffer,
  frames: Buffer[],
  counters: SocketCounters,
  limits: BatchLimits | undefined,
): Incoming<T> {
  let bounds: number[];
  try {
    bounds = batchItemBounds(batch, limits);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    counters.received++;
    counters.decodeErrors++;
    return { batch: true, items: [], refused: error, frames };
  }
  // Each item is decoded from its offsets in the batch frame (no view per item when the codec has decodeRange).
  const items = new Array<Received<T>>(bounds.length / 2);
  for (let i = 0; i < items.length; i++) {
    counters.received++;
    try {
      items[i] = { ok: true, message: decodeBatchItem(codec, batch, bounds[2 * i]!, bounds[2 * i + 1]!), frames };
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      counters.decodeErrors++;
      items[i] = { ok: false, error, frames };
    }
  }
  return { batch: true, items, refused: undefined, frames };
}

/** An Incoming as the Received values receive() hands out one at a time (a refused batch is one failure). */
export function flatten<T>(incoming: Incoming<T>): Received<T>[] {
  return incoming.refused === undefined
    ? incoming.items
    : [{ ok: false, error: incoming.refused, frames: incoming.frames }];
}
