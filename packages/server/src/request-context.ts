// The HandlerContext of one request. Its `signal` aborts when the server stops or when the request's
// deadline passes; the AbortController behind it is made only when a handler reads `signal`, so handlers
// that never look at it (most sync ones) cost one small object per request.
import type { HandlerContext } from "./handler.js";

/** What every request of one worker and service shares. */
export interface ServiceIdentity {
  readonly workerId: number;
  readonly service: string;
  /** Aborted when the server starts to stop. */
  readonly stopping: AbortSignal;
}

export class RequestContext implements HandlerContext {
  private controller: AbortController | undefined;

  constructor(private readonly identity: ServiceIdentity) {}

  get workerId(): number {
    return this.identity.workerId;
  }

  get service(): string {
    return this.identity.service;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      const stopping = this.identity.stopping;
      if (stopping.aborted) this.controller.abort(stopping.reason);
    }
    return this.controller.signal;
  }

  /** Aborts this request's signal (if a handler ever asked for it). */
  abort(reason: unknown): void {
    this.controller?.abort(reason);
  }
}
