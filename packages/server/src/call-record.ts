// Who is waiting on the call a worker is running, in shared memory, so a request is answered even when
// its thread dies inside the call with no chance to answer it: V8 ending the thread at its heap limit, or
// the pool ending a stuck thread it could not interrupt. The worker writes the request's route (and its
// payload, when small) before the call and clears it after; the pool reads it when a thread died without
// last words and hands it to the replacement, which sends the error reply (docs/wire.md: every request
// gets exactly one reply). One region per worker slot; a replacement reuses its predecessor's.
import type { Peer } from "@zpb/transport";

/** Bytes per slot: the header, then the route frames and the payload. */
const REGION = 2048;
const MAX_ROUTE_FRAMES = 8;
/** Int32 header cells. */
const STATE = 0;
const ROUTE_FRAMES = 1;
const DELIMITED = 2;
const PAYLOAD_LENGTH = 3;
const FRAME_LENGTHS = 4;
const HEADER_BYTES = (FRAME_LENGTHS + MAX_ROUTE_FRAMES) * Int32Array.BYTES_PER_ELEMENT;
const DATA_BYTES = REGION - HEADER_BYTES;

const IDLE = 0;
const SINGLE = 1;
const BATCH = 2;

/** A call its thread died in: the peer to answer, and the request's payload when it fit. */
export interface OrphanedCall {
  peer: Peer;
  /** A batch is answered with one single-frame error (docs/wire.md, "Batches"). */
  batch: boolean;
  /** The request's payload frame; undefined when it was too large to keep (the reply then has no seq). */
  payload: Uint8Array | undefined;
}

/** Shared call records for `workers` slots. */
export function createCallRecords(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * REGION);
}

/** One slot's record. */
export class CallRecord {
  private readonly header: Int32Array;
  private readonly data: Uint8Array;

  constructor(memory: SharedArrayBuffer, slot: number) {
    this.header = new Int32Array(memory, slot * REGION, FRAME_LENGTHS + MAX_ROUTE_FRAMES);
    this.data = new Uint8Array(memory, slot * REGION + HEADER_BYTES, DATA_BYTES);
  }

  /**
   * The worker is about to run the handler for `peer` (a batch, or one request whose payload is
   * `payload`). A route that does not fit is not recorded: that call cannot be answered for its thread.
   */
  enter(peer: Peer, payload: Uint8Array | undefined, batch: boolean): void {
    const route = peer.route;
    if (route.length > MAX_ROUTE_FRAMES) return;
    let at = 0;
    for (let i = 0; i < route.length; i++) {
      const frame = route[i]!;
      if (at + frame.length > DATA_BYTES) return;
      this.data.set(frame, at);
      this.header[FRAME_LENGTHS + i] = frame.length;
      at += frame.length;
    }
    const keep = payload !== undefined && at + payload.length <= DATA_BYTES;
    if (keep) this.data.set(payload, at);
    this.header[PAYLOAD_LENGTH] = keep ? payload.length : -1;
    this.header[ROUTE_FRAMES] = route.length;
    this.header[DELIMITED] = peer.delimited ? 1 : 0;
    this.header[STATE] = batch ? BATCH : SINGLE;
  }

  /** The call returned (answered, or went async: an async call's thread can still answer it). */
  leave(): void {
    this.header[STATE] = IDLE;
  }

  /** The call the slot's thread was inside when it died, if any (copied out of shared memory). */
  orphan(): OrphanedCall | undefined {
    const state = this.header[STATE];
    if (state === IDLE) return undefined;
    const frames = this.header[ROUTE_FRAMES]!;
    const route: Buffer[] = [];
    let at = 0;
    for (let i = 0; i < frames; i++) {
      const length = this.header[FRAME_LENGTHS + i]!;
      route.push(Buffer.from(this.data.slice(at, at + length)));
      at += length;
    }
    const payloadLength = this.header[PAYLOAD_LENGTH]!;
    return {
      peer: { identity: route[0]!, route, delimited: this.header[DELIMITED] === 1 },
      batch: state === BATCH,
      payload: payloadLength < 0 ? undefined : this.data.slice(at, at + payloadLength),
    };
  }

  /** Forgets the record (before a slot's next worker starts). */
  reset(): void {
    this.header[STATE] = IDLE;
  }
}
