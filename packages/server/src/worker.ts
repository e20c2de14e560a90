// The worker entry piscina loads (dist/worker.js): each worker thread runs one long-lived serving task
// that owns its sockets, serves until told to stop, then closes every socket before the task resolves —
// only then may the pool end the thread (see guard.ts for why that order is not optional).
import { RoutedDealer } from "@zpb/transport";
import { closeTracked, installGuard, setLastWords, track } from "./guard.js";
import { loadHandler } from "./handler-load.js";
import { limitPayload } from "./limits.js";
import { ServiceLoop } from "./service-loop.js";
import { coreForWorker, currentThreadId, pinThread } from "./pin.js";
import { slotView } from "./stats.js";
import { DurationRecorder } from "./durations.js";
import type { ControlMessage, ServiceSpec, WorkerNotice, WorkerResult, WorkerTask } from "./task.js";
import { ServerError } from "./errors.js";

/** How often a draining worker checks whether it may close, and how long the queue must stay quiet. */
const DRAIN_POLL_MS = 5;
const DRAIN_QUIET_MS = 25;
/** How long a dying thread refuses what was queued for it (inside the guard's own bound). */
const DYING_DRAIN_MS = 500;

/** Serves every service in `task` until the main thread sends "stop"; resolves after closing all sockets. */
export default async function serve(task: WorkerTask): Promise<WorkerResult> {
  const { control } = task;
  installGuard(control);
  const counters = slotView(task.counters, task.slot);
  const abort = new AbortController();
  const stopped = new Promise<ControlMessage>((resolve) =>
    control.on("message", (m: ControlMessage) => m.type === "stop" && resolve(m)),
  );

  const loops: ServiceLoop<unknown>[] = [];
  try {
    if (task.settings.pin) await pinSelf(task.slot);
    for (const service of task.services) loops.push(await openService(service, task, counters, abort.signal));
  } catch (error) {
    closeTracked();
    control.close();
    throw error;
  }
  setLastWords(async (reason) => {
    for (const loop of loops) loop.abandon(reason);
    // Refuse what is queued for this thread until its queue goes quiet. (Disconnecting from the backend
    // first would stop new requests coming, but libzmq then discards the ones already queued, unanswered.)
    for (const loop of loops) loop.drain(`${reason}; the request was not run, retry`);
    await drained(loops, DYING_DRAIN_MS);
  });
  control.postMessage({ type: "ready" } satisfies WorkerNotice);

  let failed: unknown;
  const running = loops.map((loop) =>
    loop.run().catch((error: unknown) => {
      failed ??= error;
    }),
  );
  // A loop that ends before "stop" means its socket failed: stop this task so the pool replaces it.
  const ended = Promise.race(running).then(() => undefined);
  const stop = await Promise.race([stopped, ended]);
  let drainTimedOut = false;
  if (stop !== undefined) {
    abort.abort();
    for (const loop of loops) loop.drain();
    drainTimedOut = await drained(loops, stop.drainMs);
  }
  setLastWords(undefined);
  closeTracked();
  await Promise.all(running);
  control.close();
  if (stop === undefined)
    throw new ServerError("SOCKET", `worker ${task.slot}: a serving loop ended on its own`, { cause: failed });
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
  service: ServiceSpec,
  task: WorkerTask,
  counters: Float64Array,
  signal: AbortSignal,
): Promise<ServiceLoop<unknown>> {
  const handler = await loadHandler(service.handler);
  const { settings } = task;
  const dealer = track(
    new RoutedDealer<unknown>({
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
    { workerId: task.slot, service: service.name, signal },
    settings.concurrency,
    new DurationRecorder(task.durations, task.slot),
  );
}

/** Waits until every loop is settled and no request arrived for DRAIN_QUIET_MS, or until drainMs; true when it timed out. */
async function drained(loops: ServiceLoop<unknown>[], drainMs: number): Promise<boolean> {
  const deadline = performance.now() + drainMs;
  for (;;) {
    const now = performance.now();
    const quiet = loops.every((loop) => loop.settled && now - loop.lastRequestAt >= DRAIN_QUIET_MS);
    if (quiet) return false;
    if (now >= deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
}
