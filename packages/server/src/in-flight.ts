// The async handler calls one serving loop is waiting on, oldest first, with what each holds: the request's
// bytes (for the --max-in-flight-bytes cap) and when it started (for the --handler-timeout deadline). A
// Set keeps insertion order, and every call gets the same timeout, so the oldest entry always expires
// first: finding the expired ones costs only what expires.
import type { Peer } from "@zpb/transport";
import type { BatchReplies } from "./batch-replies.js";
import type { RequestContext } from "./request-context.js";

/** One async handler call still running; `batch` and `index` place its reply in a batch's reply. */
export interface InFlightCall<T> {
  readonly peer: Peer;
  readonly request: T;
  readonly batch: BatchReplies | undefined;
  readonly index: number;
  readonly bytes: number;
  /** performance.now() when the handler was called. */
  readonly startedAt: number;
  readonly context: RequestContext;
}

/** Each call is its own key: the requests of one batch share their Peer. */
export class InFlight<T> {
  private readonly calls = new Set<InFlightCall<T>>();
  private heldBytes = 0;

  get size(): number {
    return this.calls.size;
  }

  /** Request bytes held by the calls still running. */
  get bytes(): number {
    return this.heldBytes;
  }

  add(call: InFlightCall<T>): void {
    this.calls.add(call);
    this.heldBytes += call.bytes;
  }

  /** Removes `call`; false when it already expired or was abandoned. */
  take(call: InFlightCall<T>): boolean {
    if (!this.calls.delete(call)) return false;
    this.heldBytes -= call.bytes;
    return true;
  }

  /** The oldest call still running. */
  oldest(): InFlightCall<T> | undefined {
    for (const call of this.calls.values()) return call;
    return undefined;
  }

  /** Removes and returns every call started at or before `startedBefore`, oldest first. */
  expire(startedBefore: number): InFlightCall<T>[] {
    const expired: InFlightCall<T>[] = [];
    for (const call of this.calls.values()) {
      if (call.startedAt > startedBefore) break;
      expired.push(call);
    }
    for (const call of expired) this.take(call);
    return expired;
  }

  /** Removes and returns every call. */
  takeAll(): InFlightCall<T>[] {
    const all = [...this.calls.values()];
    this.calls.clear();
    this.heldBytes = 0;
    return all;
  }

  values(): IterableIterator<InFlightCall<T>> {
    return this.calls.values();
  }
}
