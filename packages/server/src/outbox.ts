import type { Peer } from "@zpb/transport";

/** An encoded reply and the peer it goes back to. */
export interface OutgoingReply {
  readonly peer: Peer;
  /** One reply, or with `items` a batch frame (docs/wire.md, "Batches"). */
  readonly bytes: Uint8Array;
  /** How many replies `bytes` carries as a batch; absent (or 0) for a single-frame reply. */
  readonly items?: number;
}

/** Sent entries are dropped in batches of this many, so a long burst does not keep every reply alive. */
const COMPACT_AT = 1024;

/** A FIFO of replies waiting for the socket (async handlers finish in any order; one send is pending at a time). */
export class Outbox {
  private items: OutgoingReply[] = [];
  private head = 0;

  /** Replies waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  push(reply: OutgoingReply): void {
    this.items.push(reply);
  }

  /** The oldest waiting reply, taken out; undefined when empty. */
  shift(): OutgoingReply | undefined {
    if (this.head >= this.items.length) {
      this.clear();
      return undefined;
    }
    const reply = this.items[this.head++];
    if (this.head >= COMPACT_AT) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return reply;
  }

  /** Every waiting reply, taken out, oldest first. */
  takeAll(): OutgoingReply[] {
    const rest = this.items.slice(this.head);
    this.clear();
    return rest;
  }

  private clear(): void {
    this.items = [];
    this.head = 0;
  }
}
