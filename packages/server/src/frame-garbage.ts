// A message of many frames (the multipart flood, README "Hardening") reaches a worker as one Buffer per
// frame, about 200 bytes of heap each, built by zeromq.js before any of our code sees it. Refused at once,
// it is garbage; but V8 collects only when the heap grows again, so until the next such message arrives
// the worker holds two of them (measured: 412 MiB of heap for two 1,000,000-frame messages received one
// after the other). A full collection right after costs a few ms when little else is kept (5–7 ms after a
// 1,000,000-frame message), so the worker asks for one: the flood's peak halves.
import { collectGarbage } from "./full-gc.js";

/** Messages of fewer frames are left to V8: no message this project sends comes near it. */
const MANY_FRAMES = 1024;
/** Frames of such messages between two collections, so a stream of them cannot make the worker collect per message. */
const FRAMES_PER_COLLECTION = 100_000;

/** Counts the frames of many-frame messages a worker received; collects once enough of them are garbage. */
export class FrameGarbage {
  private frames = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Full collections asked for (for tests). */
  collections = 0;

  /** A message of `frames` frames was received (and is being refused or answered now). */
  received(frames: number): void {
    if (frames < MANY_FRAMES) return;
    this.frames += frames;
    if (this.frames < FRAMES_PER_COLLECTION || this.timer !== undefined) return;
    // On a timer: by then the loop has answered the message and let go of it.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.frames = 0;
      this.collections++;
      collectGarbage();
    }, 0);
    this.timer.unref();
  }
}
