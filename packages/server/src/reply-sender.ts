import type { Peer, RoutedDealer } from "@zpb/transport";
import { Outbox, type OutgoingReply } from "./outbox.js";
import { Counter } from "./stats.js";

/**
 * Sends one serving loop's replies and counts them. zeromq allows one pending send per socket, so replies
 * that cannot go at once (async handlers finishing while a send is pending) wait in a FIFO and go one at a
 * time.
 */
export class ReplySender<T> {
  private readonly outbox = new Outbox();
  private flushing = false;

  constructor(
    private readonly dealer: RoutedDealer<T>,
    private readonly counters: Float64Array,
  ) {}

  /** True when no send is pending and nothing waits: a reply may be sent directly with send(). */
  get idle(): boolean {
    return !this.flushing && this.outbox.size === 0;
  }

  /**
   * Sends one reply now and counts it. It is counted before the send resolves (the peer may read the
   * reply before this thread runs again) and un-counted as a send failure if zeromq refuses it.
   */
  send(peer: Peer, bytes: Uint8Array): Promise<void> {
    this.counters[Counter.replies]!++;
    // No async wrapper: the sync-handler fast path awaits this once per request.
    return this.dealer.replyBytes(peer, bytes).catch(this.uncount);
  }

  /** Sends a batch frame of `items` replies now (docs/wire.md, "Batches"), each counted as a reply. */
  sendBatch(peer: Peer, frame: Uint8Array, items: number): Promise<void> {
    this.counters[Counter.replies]! += items;
    return this.dealer.replyBatchBytes(peer, frame, items).catch(() => {
      this.counters[Counter.replies]! -= items;
      this.counters[Counter.sendFailures]!++;
    });
  }

  private readonly uncount = (): void => {
    this.counters[Counter.replies]!--;
    this.counters[Counter.sendFailures]!++;
  };

  /** Queues a reply (or with `items`, a batch frame of that many) behind the ones waiting, and starts sending them if nothing is. */
  enqueue(peer: Peer, bytes: Uint8Array, items = 0): void {
    this.outbox.push(items > 0 ? { peer, bytes, items } : { peer, bytes });
    if (!this.flushing) void this.flush();
  }

  /**
   * The thread is dying: hand every waiting reply, then `extra`, to zeromq now, without waiting for each.
   * Best effort: a send zeromq cannot take right now is lost with the thread.
   */
  sendAllNow(extra: OutgoingReply[]): void {
    for (const reply of [...this.outbox.takeAll(), ...extra]) void this.sendReply(reply);
  }

  private sendReply(reply: OutgoingReply): Promise<void> {
    return reply.items ? this.sendBatch(reply.peer, reply.bytes, reply.items) : this.send(reply.peer, reply.bytes);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    for (let reply = this.outbox.shift(); reply !== undefined; reply = this.outbox.shift()) await this.sendReply(reply);
    this.flushing = false;
  }
}
