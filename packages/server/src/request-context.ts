// The HandlerContext of one request. Its `signal` aborts when the server stops or when the request's
// deadline passes; the AbortController behind it is made only when a handler reads `signal`. A context whose
// call answered synchronously without reading `signal` is reused for the next call (service-loop.ts), so a
// sync handler that never looks at it costs nothing per request.
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

  /** True once a handler asked for `signal`: the context is then that request's own, never reused. */
  get signalTaken(): boolean {
    return this.controller !== undefined;
  }

  /** Aborts this request's signal (if a handler ever asked for it). */
  abort(reason: unknown): void {
    this.controller?.abort(reason);
  }
}
