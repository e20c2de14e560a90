import type { BatchWriter } from "@zpb/proto";
import type { Peer } from "@zpb/transport";

/**
 * The replies to one batch of requests, kept in request order until every one is in (async handlers finish
 * in any order); then they leave as one batch frame (docs/wire.md, "Batches").
 */
export class BatchReplies {
  private readonly replies: Array<Uint8Array | undefined>;
  private missing: number;
  /** The replies to the first requests, already framed (answered at once, before one went async). */
  private head: Buffer | undefined;
  private headCount = 0;

  constructor(
    /** Who sent the batch: the reply batch goes back to it, in the shape it used. */
    readonly peer: Peer,
    /** How many requests the batch carried. */
    readonly size: number,
  ) {
    this.replies = new Array<Uint8Array | undefined>(size);
    this.missing = size;
  }

  /**
   * Records the replies to the first `count` requests as one already-framed piece of the batch frame (the
   * service loop writes sync replies straight into a batch writer until a handler goes async).
   */
  setHead(frame: Buffer, count: number): void {
    this.head = frame;
    this.headCount = count;
    this.missing -= count;
  }

  /** Records the reply to request `index`; true when it was the last one missing. A second reply to the same index is ignored. */
  fill(index: number, bytes: Uint8Array): boolean {
    if (this.replies[index] !== undefined) return false;
    this.replies[index] = bytes;
    return --this.missing === 0;
  }

  /** Every reply is in. */
  get complete(): boolean {
    return this.missing === 0;
  }

  /** Indexes still waiting for their reply. */
  missingIndexes(): number[] {
    const out: number[] = [];
    for (let i = this.headCount; i < this.size; i++) if (this.replies[i] === undefined) out.push(i);
    return out;
  }

  /** The reply batch frame, built in `writer` (whose buffer is reused from batch to batch). */
  frame(writer: BatchWriter): Buffer {
    for (let i = this.headCount; i < this.size; i++) writer.add(this.replies[i]!);
    const rest = writer.finish();
    // A batch frame is its items one after the other, so the head and the rest simply join.
    return this.head === undefined ? rest : Buffer.concat([this.head, rest]);
  }
}
