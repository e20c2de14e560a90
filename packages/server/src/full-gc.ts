// A full garbage collection on demand, for the two places that must not wait for V8 to choose one: a
// worker just handed a flood's million Buffers (frame-garbage.ts), and a thread that may end only once
// zeromq.js has let go of what it sent (sent-frames.ts). Node gives `gc()` only to contexts made after
// `--expose-gc` is set, so it is set at first use and taken from a fresh context.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let fullCollection: (() => void) | null | undefined;

/** Runs a full collection now; does nothing when this V8 does not give `gc()`. */
export function collectGarbage(): void {
  if (fullCollection === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      const gc: unknown = runInNewContext("gc");
      fullCollection = typeof gc === "function" ? (gc as () => void) : null;
    } catch {
      fullCollection = null;
    }
  }
  fullCollection?.();
}
