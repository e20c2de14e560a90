// The worker entry piscina loads (dist/worker.js): each worker thread runs one long-lived serving task
// that owns one socket (one service), serves until told to stop, then closes it before the task resolves —
// only then may the pool end the thread (see guard.ts for why that order is not optional).
import { RoutedDealer } from "@zpb/transport";
import { threadId } from "node:worker_threads";
import { closeTracked, dieOf, endWithin, installGuard, isDying, setLastWords, track } from "./guard.js";
import { allSentReleased, noteSent } from "./sent-frames.js";
import { loadHandler } from "./handler-load.js";
import { CallRecord } from "./call-record.js";
import { FrameGarbage } from "./frame-garbage.js";
import { watchHeap } from "./heap-watch.js";
import { limitPayload } from "./limits.js";
import { LivenessCells, heartbeatInterval, startHeartbeat } from "./liveness.js";
import { ServiceLoop } from "./service-loop.js";
import { coreForWorker, currentThreadId, pinThread } from "./pin.js";
import { slotView } from "./stats.js";
import { DurationRecorder } from "./durations.js";
import type { ControlMessage, WorkerNotice, WorkerResult, WorkerTask } from "./task.js";
import { ServerError } from "./errors.js";

/** How often a draining worker checks whether it may close, and how long the queue must stay quiet. */
const DRAIN_POLL_MS = 5;
const DRAIN_QUIET_MS = 25;
/** How long a dying thread refuses what was queued for it (inside the guard's own bound). */
const DYING_DRAIN_MS = 500;
/**
 * Once told "close", how long a thread waits for zeromq.js to hand back the frames it sent before it ends
 * anyway (sent-frames.ts). At the stop the fronts closed --linger before, so their queues are gone; what is
 * left is Buffers the main thread has not collected yet (JS forwarding), which it collects meanwhile. A dead
 * thread told "close" past the pool's room ends within it too (guard.ts endWithin).
 */
const RELEASE_AT_STOP_MS = 1000;

/**
 * Serves the task's service until the main thread says "close" (after "stop"); resolves after closing the
 * socket. A stuck or exhausted thread leaves through the guard's dying sequence instead (guard.ts).
 */
export default async function serve(task: WorkerTask): Promise<WorkerResult> {
  const { control, settings } = task;
  installGuard(control);
  const counters = slotView(task.counters, task.slot);
  const liveness = new LivenessCells(task.liveness, task.slot);
  const stopping = new AbortController();
  let stopMessage!: (m: { drainMs: number }) => void;
  let closeMessage!: () => void;
  const stopped = new Promise<{ drainMs: number }>((resolve) => (stopMessage = resolve));
  const closed = new Promise<void>((resolve) => (closeMessage = resolve));

  let loop: ServiceLoop<unknown>;
  try {
    if (settings.pin) await pinSelf(task.slot);
    loop = await openService(task, counters, liveness, stopping.signal);
  } catch (error) {
    closeTracked();
    control.close();
    throw error;
  }
  control.on("message", (m: ControlMessage) => {
    if (m.type === "stop") stopMessage(m);
    else if (m.type === "close") {
      closeMessage();
      endWithin(RELEASE_AT_STOP_MS);
    } else if (m.type === "stalled") {
      const running = loop.describeRunning();
      dieOf(
        { type: "stalled", stuckForMs: m.stuckForMs, running },
        `the worker was stuck for ${m.stuckForMs} ms (${running}) and was interrupted`,
        "stall",
      );
    }
  });
  let resumed: Promise<void> | undefined;
  setLastWords(async (reason, cause) => {
    // Refuse what is queued for this thread until its queue goes quiet. (Disconnecting from the backend
    // first would stop new requests coming, but libzmq then discards the ones already queued, unanswered.)
    const refusal = `${reason}; the request was not run, retry`;
    resumed = cause === "stall" ? loop.interrupted(reason, refusal) : undefined;
    if (cause !== "stall") {
      loop.abandon(reason);
      loop.drain(refusal);
    }
    await drained(loop, DYING_DRAIN_MS);
  });
  const stopBeating =
    settings.stallTimeout > 0 ? startHeartbeat(liveness, heartbeatInterval(settings.stallTimeout)) : undefined;
  const stopHeapWatch = watchHeap(settings.workerHeapMb, (usedMb, budgetMb) =>
    dieOf(
      { type: "heap", usedMb, limitMb: budgetMb },
      `the worker keeps ${usedMb} MiB of heap, over its ${budgetMb} MiB budget`,
    ),
  );
  control.postMessage({ type: "ready", threadId } satisfies WorkerNotice);
  // Its predecessor died inside a call, unable to answer it: answer it here (call-record.ts).
  if (task.orphan !== undefined) void loop.answerOrphan(task.orphan, task.orphan.reason).catch(() => undefined);

  let failed: unknown;
  const running = loop.run().catch((error: unknown) => {
    failed = error;
  });
  // A loop that ends before "stop" means its socket failed: stop this task so the pool replaces it.
  const stop = await Promise.race([stopped, running.then(() => undefined)]);
  let drainTimedOut = false;
  if (stop !== undefined) {
    stopping.abort(new Error("the server is stopping"));
    loop.drain();
    drainTimedOut = await drained(loop, stop.drainMs);
    control.postMessage({ type: "drained", timedOut: drainTimedOut } satisfies WorkerNotice);
    // Keep taking (and refusing) requests until the proxy in front has stopped: a proxy blocked on a
    // backend nobody reads from would never see its own terminate.
    await closed;
  }
  // A dying thread ends on its own (guard.ts); its task settling now would let the pool reuse the thread.
  if (isDying()) await new Promise<never>(() => undefined);
  stopBeating?.();
  stopHeapWatch();
  setLastWords(undefined);
  closeTracked();
  await Promise.all([running, resumed]);
  const releaseBy = performance.now() + RELEASE_AT_STOP_MS;
  await allSentReleased(() => releaseBy);
  control.close();
  if (stop === undefined)
    throw new ServerError("SOCKET", `worker ${task.slot}: its serving loop ended on its own`, { cause: failed });
  return { slot: task.slot, drainTimedOut };
}

/** `pin`: this worker's own thread to its core (see pin.ts); failing to is failing to start. */
async function pinSelf(slot: number): Promise<void> {
  const tid = currentThreadId();
  if (tid === undefined) throw new ServerError("PIN", `worker ${slot}: cannot find its thread id (/proc/thread-self)`);
  try {
    await pinThread(tid, coreForWorker(slot));
  } catch (cause) {
    throw new ServerError("PIN", `worker ${slot}: ${(cause as Error).message}`, { cause });
  }
}

async function openService(
  task: WorkerTask,
  counters: Float64Array,
  liveness: LivenessCells,
  stopping: AbortSignal,
): Promise<ServiceLoop<unknown>> {
  const { service, settings } = task;
  const handler = await loadHandler(service.handler);
  const dealer = track(
    new WorkerDealer<unknown>({
      codec: limitPayload(handler.codec, settings.maxPayload),
      batchLimits: { maxItems: settings.maxBatchItems, maxBytes: settings.maxBatchBytes },
      // Replies never wait here (unbounded, but never more than the requests this worker took in); see README "Nothing lost".
      sendHighWaterMark: 0,
      receiveHighWaterMark: settings.requestHighWaterMark,
      linger: settings.linger,
    }),
  );
  dealer.connect(service.backend);
  return new ServiceLoop(
    dealer,
    handler,
    counters,
    { workerId: task.workerId, service: service.name, stopping },
    {
      concurrency: settings.concurrency,
      handlerTimeout: settings.handlerTimeout,
      maxInFlightBytes: settings.maxInFlightBytes,
    },
    {
      durations: new DurationRecorder(task.durations, task.slot),
      liveness,
      garbage: new FrameGarbage(),
      calls: new CallRecord(task.calls, task.slot),
    },
  );
}

/** The worker's socket: every frame it sends is noted, so the thread knows when it may end (sent-frames.ts). */
class WorkerDealer<T> extends RoutedDealer<T> {
  protected override sendFrames(frames: Array<Uint8Array | string>, messages?: number): Promise<void> {
    noteSent(frames);
    return super.sendFrames(frames, messages);
  }
}

/** Waits until the loop is settled and no request arrived for DRAIN_QUIET_MS, or until drainMs; true when it timed out. */
async function drained(loop: ServiceLoop<unknown>, drainMs: number): Promise<boolean> {
  const deadline = performance.now() + drainMs;
  for (;;) {
    const now = performance.now();
    if (loop.settled && now - loop.lastRequestAt >= DRAIN_QUIET_MS) return false;
    if (now >= deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}
