import { onAbort } from "./abort.js";
import { AbortedError } from "./errors.js";

interface Waiter {
  count: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/**
 * A counting semaphore with a FIFO queue: callers beyond `capacity` wait for their slots (abortable). A caller
 * may take several slots at once (a batch of requests takes one per request); the queue stays FIFO, so a
 * large request is not starved by small ones behind it.
 */
export class Slots {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  /** Slots taken right now. */
  get inUse(): number {
    return this.used;
  }

  /** Callers waiting for slots. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes `count` slots now if they are free and nobody waits; false otherwise (then call acquire()). */
  tryAcquire(count = 1): boolean {
    if (this.used + count > this.capacity || this.waiters.length > 0) return false;
    this.used += count;
    return true;
  }

  /** Takes `count` slots (at most `capacity`), waiting in line; rejects with AbortedError if `signal` fires first. */
  acquire(signal?: AbortSignal, count = 1): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError(signal.reason));
    if (count > this.capacity) {
      return Promise.reject(new RangeError(`cannot take ${count} slots of ${this.capacity}`));
    }
    if (this.tryAcquire(count)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { count, resolve, reject, cleanup: () => {} };
      if (signal !== undefined) {
        waiter.cleanup = onAbort(signal, () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(new AbortedError(signal.reason));
          // The waiter ahead of the line may have been holding back others that fit now.
          this.grant();
        });
      }
      this.waiters.push(waiter);
    });
  }

  /** Returns `count` slots; the longest waiters get them, in order, as far as they fit. */
  release(count = 1): void {
    this.used = Math.max(0, this.used - count);
    if (this.waiters.length > 0) this.grant();
  }

  /** Rejects every waiter with `error` (used on close). */
  rejectWaiters(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(error);
    }
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.used + this.waiters[0]!.count <= this.capacity) {
      const next = this.waiters.shift()!;
      this.used += next.count;
      next.cleanup();
      next.resolve();
    }
  }
}
