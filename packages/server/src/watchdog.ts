// The main thread's stuck-thread watchdog: a worker whose event loop has not run for `stallTimeout` ms
// (see liveness.ts) is stuck — in a synchronous handler, or in any other synchronous code — and is handed
// to `onStall`, once per stall.
import { LivenessCells } from "./liveness.js";

/** A stuck worker, as the watchdog saw it. */
export interface Stall {
  slot: number;
  /** How long its event loop had not run (ms). */
  stuckForMs: number;
  /** Whether its socket had a receive pending (ending the thread from outside would then abort the process). */
  receivePending: boolean;
}

/** Checks every worker slot's liveness stamps on a timer. */
export class Watchdog {
  private readonly slots: LivenessCells[];
  private readonly reported = new Set<number>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param isServing only slots whose worker is ready are watched (a worker loading its handler is not stuck)
   */
  constructor(
    memory: SharedArrayBuffer,
    workers: number,
    private readonly stallTimeoutMs: number,
    private readonly isServing: (slot: number) => boolean,
    private readonly onStall: (stall: Stall) => void,
  ) {
    this.slots = Array.from({ length: workers }, (_, slot) => new LivenessCells(memory, slot));
  }

  /** Starts checking (a no-op when the stall timeout is 0, i.e. off). */
  start(): void {
    if (this.stallTimeoutMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => this.check(), Math.max(10, Math.floor(this.stallTimeoutMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A slot got a new worker: forget its old stamps and its old stall. */
  renew(slot: number): void {
    this.slots[slot]!.reset();
    this.reported.delete(slot);
  }

  /** The slot as a stall right now (for a worker the pool gave up waiting on). */
  stallOf(slot: number, atLeastMs: number, now = Date.now()): Stall {
    const cells = this.slots[slot]!;
    // No stamp (the watchdog is off, so the worker does not stamp): say how long the caller has waited.
    const stuckForMs = cells.aliveAt === 0 ? atLeastMs : Math.max(atLeastMs, now - cells.aliveAt);
    return { slot, stuckForMs, receivePending: cells.receivePending };
  }

  /** One round of checks (exposed for the pool's stop, which checks once more at its deadline). */
  check(now = Date.now()): void {
    for (const [slot, cells] of this.slots.entries()) {
      if (this.reported.has(slot) || !this.isServing(slot)) continue;
      const aliveAt = cells.aliveAt;
      if (aliveAt === 0) continue;
      const stuckForMs = now - aliveAt;
      if (stuckForMs < this.stallTimeoutMs) continue;
      this.reported.add(slot);
      this.onStall({ slot, stuckForMs, receivePending: cells.receivePending });
    }
  }
}
