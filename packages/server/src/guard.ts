// Keeps a dying worker thread from taking the whole process with it. A thread that ends while one of its
// zeromq sockets is open (a pending receive) aborts the process with `Napi::Error` (zeromq.js#411; see the
// server README, "Faults"). So every socket a worker opens is tracked here, and the two ways user code can end the thread — an
// uncaught exception / unhandled rejection, or process.exit() — go through one bounded dying sequence:
// tell the main thread why, run the worker's last words (answer what it holds, stop taking requests, refuse
// what is queued), close every socket (synchronous, and enough to make the thread safe to end), and only
// then end the thread so the pool replaces it.
//
// process.exit() cannot wait for that, so in a worker it throws WorkerExit instead: inside a handler the
// serving loop answers that request and starts the sequence; anywhere else it surfaces as an uncaught
// exception, which starts it too. Either way the thread ends with the code that was asked for.
import type { MessagePort } from "node:worker_threads";
import { allSentReleased } from "./sent-frames.js";

/** Anything with a synchronous close(): our sockets. */
export interface Closable {
  close(): void;
}

/** What a worker tells the main thread just before it dies. */
export type DeathNotice =
  | { type: "fatal"; message: string; stack?: string }
  | { type: "exit"; code: number }
  | { type: "stalled"; stuckForMs: number; running: string }
  | { type: "heap"; usedMb: number; limitMb: number };

/** Why a thread is dying, for its last words: a stuck thread's requests are answered with CODE_DEADLINE. */
export type DeathCause = "fault" | "stall";

/** Thrown by process.exit() inside a worker: unwinds the caller, then the thread ends with `exitCode`. */
export class WorkerExit extends Error {
  override readonly name = "WorkerExit";

  constructor(readonly exitCode: number) {
    super(`the worker called process.exit(${exitCode})`);
  }
}

/** The longest a dying thread spends on its last words before it closes its sockets regardless. */
const LAST_WORDS_MAX_MS = 1000;

const open = new Set<Closable>();
let installed = false;
let notify: MessagePort | undefined;
let lastWords: ((reason: string, cause: DeathCause) => Promise<void>) | undefined;
let dying = false;
let realExit: (code?: number) => never = (code) => process.exit(code);
/** When a dying thread ends even if zeromq.js still holds frames it sent (performance.now() clock). */
let endBy = Number.POSITIVE_INFINITY;

/** Registers a socket to close before the thread can end. */
export function track<T extends Closable>(socket: T): T {
  open.add(socket);
  return socket;
}

/** Closes every tracked socket (idempotent; close() errors are ignored: we are cleaning up). */
export function closeTracked(): void {
  for (const socket of open) {
    try {
      socket.close();
    } catch {
      // A socket that cannot close is already unusable; the others still must close.
    }
  }
  open.clear();
}

/**
 * Sets what a dying thread does before its sockets close (bounded by LAST_WORDS_MAX_MS): the serving task
 * answers what it holds and refuses what is queued, so no peer waits forever on a dead thread.
 */
export function setLastWords(hook: ((reason: string, cause: DeathCause) => Promise<void>) | undefined): void {
  lastWords = hook;
}

/**
 * Installs the guard once per thread; `port` (the current serving task's control port) receives the
 * death notice. Safe to call again with a new port when a new task starts on the same thread.
 */
export function installGuard(port: MessagePort): void {
  notify = port;
  if (installed) return;
  installed = true;
  const exit = process.exit.bind(process) as (code?: number) => never;
  realExit = exit;
  process.exit = ((code?: number | string | null) => {
    const exitCode = typeof code === "number" ? code : Number(code ?? process.exitCode ?? 0) || 0;
    if (dying) {
      closeTracked();
      return exit(exitCode);
    }
    throw new WorkerExit(exitCode);
  }) as typeof process.exit;
  process.on("uncaughtException", (error: unknown) => {
    if (error instanceof WorkerExit) {
      die(error);
      return;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    if (dying) return; // already on the way out; the sequence is bounded
    tell({ type: "fatal", message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) });
    startDying(`the worker died of an uncaught exception: ${e.message}`, 1);
  });
}

/**
 * True once the thread has started dying: its serving task must then never settle, or the pool would hand
 * this thread, about to end, the replacement's task (whose socket would then be open when it ends).
 */
export function isDying(): boolean {
  return dying;
}

/** Starts the dying sequence for a WorkerExit (called by the serving loop when a handler called process.exit). */
export function die(exit: WorkerExit): void {
  if (dying) return;
  tell({ type: "exit", code: exit.exitCode });
  startDying(exit.message, exit.exitCode);
}

/**
 * Starts the dying sequence for a reason other than a fault of the handler's own making (the watchdog found the
 * thread stuck, or its heap nearly full): tells the main thread `notice`, then answers, refuses and leaves.
 */
export function dieOf(notice: DeathNotice, reason: string, cause: DeathCause = "fault"): void {
  if (dying) return;
  tell(notice);
  startDying(reason, 1, cause);
}

/**
 * A dying thread still waiting for zeromq.js to hand back its frames ends within `ms` regardless: the server
 * is stopping (its fronts have closed, so nothing is left queued to hand back), or the pool needs the room
 * (pool.ts endOldestRetiringPastCap, which says what that risks).
 */
export function endWithin(ms: number): void {
  endBy = Math.min(endBy, performance.now() + ms);
}

function startDying(reason: string, code: number, cause: DeathCause = "fault"): void {
  dying = true;
  let ending = false;
  const end = (): void => {
    if (ending) return;
    ending = true;
    closeTracked();
    // Sockets closed: the pool starts the replacement now. This thread ends once zeromq.js has handed back
    // every frame it sent (sent-frames.ts); ending before that corrupts the process's heap.
    tell({ type: "closed" });
    void allSentReleased(() => endBy).then(() =>
      // Two turns of the event loop before the thread ends: zeromq.js may have deferred a send or receive to
      // a libuv check callback (it does so to avoid starving the loop), which it does not cancel on close;
      // run in an environment that is ending, it throws and the addon aborts the whole process (measured: a
      // worker calling process.exit() while two clients flooded it without reading, 2 runs in 3 ended in
      // exit 134). The serving task stays pending meanwhile (isDying), so the pool gives this thread no new task.
      setImmediate(() => setImmediate(() => realExit(code))),
    );
  };
  const timer = setTimeout(end, LAST_WORDS_MAX_MS);
  Promise.resolve()
    .then(() => lastWords?.(reason, cause))
    .catch(() => undefined)
    .finally(() => {
      clearTimeout(timer);
      end();
    });
}

function tell(notice: DeathNotice | { type: "closed" }): void {
  try {
    notify?.postMessage(notice);
  } catch {
    // The port may already be closed; the pool still sees the thread exit.
  }
}
