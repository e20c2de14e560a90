// When a worker thread may end. zeromq.js sends a frame of more than 128 bytes without copying it: the
// message keeps a reference into the sending thread's instance of the addon, and hands it back to that
// instance whenever libzmq releases the message — once it is written to the peer, or dropped, or, when
// the main thread received it over inproc:// (the JS forwarder, the broker), once that thread's Buffer is
// garbage-collected. A thread that has ended by then has freed that instance, and the hand-back writes into
// freed memory: glibc aborts ("corrupted double-linked list") or the process segfaults. Measured: with
// `--forwarder js` and 1 KiB replies, the process died within a second of the first worker replacement.
//
// So a worker counts the frames it sent that the addon may still hold: each such frame object is pinned
// by the addon until the hand-back, and collectable after it, so a FinalizationRegistry sees it come back.
// A dying thread ends only when the count is zero (guard.ts); until then it waits, parked, its sockets
// closed, while its replacement serves.
import { collectGarbage } from "./full-gc.js";

/** zeromq.js copies frames of up to this many bytes (its zero_copy_threshold); larger ones it pins. */
const COPIED_UP_TO = 128;

let pinned = 0;
const released = new FinalizationRegistry<undefined>(() => {
  pinned--;
});

/** Notes `frames`, about to be sent: the ones zeromq.js will pin are counted until it lets go of them. */
export function noteSent(frames: ReadonlyArray<Uint8Array | string>): void {
  for (const frame of frames) {
    if (typeof frame === "string" || frame.byteLength <= COPIED_UP_TO) continue;
    pinned++;
    released.register(frame, undefined);
  }
}

/** Frames sent from this thread that zeromq.js may still hold (an upper bound until the next collection). */
export function pinnedFrames(): number {
  return pinned;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The wait between rounds starts here and doubles up to MAX_POLL_MS: a thread can wait for hours on a client that never reads. */
const FIRST_POLL_MS = 50;
/** Also how late a wait notices its deadline moved closer (guard.ts endWithin, at the stop). */
const MAX_POLL_MS = 1000;

/**
 * Resolves true once zeromq.js holds no frame this thread sent, false at `deadline()` (performance.now()
 * clock, read each round; Infinity: wait as long as it takes). Each round collects garbage (the addon only
 * drops its reference; the frame must still be collected to be seen) and gives the registry's callbacks a
 * turn; rounds grow apart, so a long wait costs a full collection of this thread's small heap a second.
 */
export async function allSentReleased(deadline: () => number): Promise<boolean> {
  for (let pollMs = FIRST_POLL_MS; ; pollMs = Math.min(2 * pollMs, MAX_POLL_MS)) {
    if (pinned === 0) return true;
    collectGarbage();
    await turn();
    await turn();
    if (pinned === 0) return true;
    const left = deadline() - performance.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
  }
}
