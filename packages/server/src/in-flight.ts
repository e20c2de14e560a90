// The async handler calls one serving loop is waiting on, oldest first, with what each holds: the request's
// bytes (for the --max-in-flight-bytes cap) and when it started (for the --handler-timeout deadline). A
// Map keeps insertion order, and every call gets the same timeout, so the oldest entry always expires
// first: finding the expired ones costs only what expires.
import type { Peer } from "@zpb/transport";
import type { RequestContext } from "./request-context.js";

/** One async handler call still running. */
export interface InFlightCall<T> {
  readonly peer: Peer;
  readonly request: T;
  readonly bytes: number;
  /** performance.now() when the handler was called. */
  readonly startedAt: number;
  readonly context: RequestContext;
}

/** Calls by peer (each received message has its own Peer object, so two requests of one client never collide). */
export class InFlight<T> {
  private readonly calls = new Map<Peer, InFlightCall<T>>();
  private heldBytes = 0;

  get size(): number {
    return this.calls.size;
  }

  /** Request bytes held by the calls still running. */
  get bytes(): number {
    return this.heldBytes;
  }

  add(call: InFlightCall<T>): void {
    this.calls.set(call.peer, call);
    this.heldBytes += call.bytes;
  }

  /** Removes and returns the call for `peer`; undefined when it already expired or was abandoned. */
  take(peer: Peer): InFlightCall<T> | undefined {
    const call = this.calls.get(peer);
    if (call === undefined) return undefined;
    this.calls.delete(peer);
    this.heldBytes -= call.bytes;
    return call;
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
    for (const call of expired) this.take(call.peer);
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
