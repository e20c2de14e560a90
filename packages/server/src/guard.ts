// Keeps a dying worker thread from taking the whole process with it. A thread that ends while one of its
// zeromq sockets is open (a pending receive) aborts the process with `Napi::Error` (NOTES, zeromq.js#411).
// So every socket a worker opens is tracked here, and the two ways user code can end the thread —
// an uncaught exception / unhandled rejection, or process.exit() — first close them all (close is
// synchronous and makes the thread safe to end), tell the main thread why, and then let the thread die
// so the pool replaces it.
import type { MessagePort } from "node:worker_threads";

/** Anything with a synchronous close(): our sockets. */
export interface Closable {
  close(): void;
}

/** What a worker tells the main thread just before it dies. */
export type DeathNotice =
  | { type: "fatal"; message: string; stack?: string }
  | { type: "exit"; code: number };

const open = new Set<Closable>();
let installed = false;
let notify: MessagePort | undefined;
let lastWords: ((reason: string) => void) | undefined;

/**
 * Sets what runs just before the sockets close on a death (the serving loops answer the requests they
 * were handling, so no REQ peer waits forever for a reply from a dead thread). Best effort: it must not throw.
 */
export function setLastWords(hook: ((reason: string) => void) | undefined): void {
  lastWords = hook;
}

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

/** Number of sockets still open in this thread (for tests and asserts). */
export function trackedCount(): number {
  return open.size;
}

/**
 * Installs the guard once per thread; `port` (the current serving task's control port) receives the
 * death notice. Safe to call again with a new port when a new task starts on the same thread.
 */
export function installGuard(port: MessagePort): void {
  notify = port;
  if (installed) return;
  installed = true;
  const realExit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const exitCode = typeof code === "number" ? code : Number(code ?? process.exitCode ?? 0) || 0;
    tell({ type: "exit", code: exitCode });
    sayLastWords(`the worker called process.exit(${exitCode})`);
    closeTracked();
    return realExit(exitCode);
  }) as typeof process.exit;
  process.on("uncaughtException", (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    tell({ type: "fatal", message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) });
    sayLastWords(`the worker died of an uncaught exception: ${e.message}`);
    closeTracked();
    realExit(1);
  });
}

function sayLastWords(reason: string): void {
  try {
    lastWords?.(reason);
  } catch {
    // Dying anyway: the sockets must still close.
  }
}

function tell(notice: DeathNotice): void {
  try {
    notify?.postMessage(notice);
  } catch {
    // The port may already be closed; the pool still sees the thread exit.
  }
}
