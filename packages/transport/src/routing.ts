import { BATCH_MARKER } from "@zpb/proto";
import { FrameError } from "./errors.js";

/** Who sent a routed message and how to address the reply (kept as received, so replies match its shape). */
export interface Peer {
  /** The first routing frame: the sender's identity as the ROUTER saw it. */
  readonly identity: Buffer;
  /** Every routing frame before the payload (more than one when the message crossed another ROUTER). */
  readonly route: readonly Buffer[];
  /** Whether the sender put an empty delimiter frame before the payload (REQ peers always do; bare DEALERs don't). */
  readonly delimited: boolean;
}

/** A routed message split into its peer and its body frames. */
export interface RoutedFrames {
  peer: Peer;
  body: Buffer[];
}

/**
 * Splits a ROUTER-shaped message: `[id, payload]` (bare DEALER, as the Rust prost + zmq example's DEALER sends),
 * `[id, "", payload]` (REQ, or DEALER with delimiter), or `[id1, id2, …, "", payload]` (through proxies).
 * Exactly two frames always mean `[id, payload]`, so a bare DEALER may send an empty payload.
 */
export function splitRouted(frames: Buffer[]): RoutedFrames {
  const identity = frames[0] ?? Buffer.alloc(0);
  if (frames.length <= 2) return { peer: { identity, route: [identity], delimited: false }, body: frames.slice(1) };
  const delimiterAt = frames.findIndex((frame, i) => i > 0 && frame.length === 0);
  if (delimiterAt < 0) return { peer: { identity, route: [identity], delimited: false }, body: frames.slice(1) };
  return {
    peer: { identity, route: frames.slice(0, delimiterAt), delimited: true },
    body: frames.slice(delimiterAt + 1),
  };
}

const EMPTY = Buffer.alloc(0);

/** Frames that address `payload` back to `peer` in the shape the peer used. */
export function routeTo(peer: Peer, payload: Uint8Array): Uint8Array[] {
  return peer.delimited ? [...peer.route, EMPTY, payload] : [...peer.route, payload];
}

/** Frames that address a batch frame back to `peer` (after the marker frame) in the shape the peer used. */
export function routeBatchTo(peer: Peer, batch: Uint8Array): Uint8Array[] {
  return peer.delimited ? [...peer.route, EMPTY, BATCH_MARKER, batch] : [...peer.route, BATCH_MARKER, batch];
}

/** The body must be exactly one payload frame; anything else is a FrameError. */
export function singlePayload(body: Buffer[]): Buffer | FrameError {
  return body.length === 1 ? body[0]! : new FrameError(body.length, "1 payload frame after the routing envelope");
}
