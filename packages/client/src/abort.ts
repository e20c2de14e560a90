import { AbortedError } from "./errors.js";

// One 'abort' listener per signal, fanning out to every call waiting on it: thousands of concurrent
// requests sharing one shutdown signal would otherwise trip Node's MaxListenersExceededWarning.
const waiting = new WeakMap<AbortSignal, Set<() => void>>();

/** Runs `callback` once when `signal` aborts; returns a function that cancels it. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = waiting.get(signal);
  if (callbacks === undefined) {
    const set = new Set<() => void>();
    callbacks = set;
    waiting.set(signal, set);
    signal.addEventListener(
      "abort",
      () => {
        waiting.delete(signal);
        for (const run of set) run();
      },
      { once: true },
    );
  }
  callbacks.add(callback);
  return () => callbacks.delete(callback);
}

/** A promise that rejects with AbortedError when `signal` fires, and a dispose to drop the listener. */
export function whenAborted(signal: AbortSignal | undefined): { promise: Promise<never>; dispose: () => void } {
  if (signal === undefined) return { promise: NEVER, dispose: () => {} };
  if (signal.aborted) return { promise: Promise.reject(new AbortedError(signal.reason)), dispose: () => {} };
  let dispose = () => {};
  const promise = new Promise<never>((_, reject) => {
    dispose = onAbort(signal, () => reject(new AbortedError(signal.reason)));
  });
  return { promise, dispose };
}

const NEVER = new Promise<never>(() => {});
