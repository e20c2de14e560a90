// Ends the JavaScript a worker thread is stuck in, without ending the thread. A thread stuck in synchronous
// code never reads its messages, so it cannot be asked to close its sockets; and ending it from outside
// (worker.terminate()) aborts the whole process when one of its zeromq sockets has a receive pending
// (zeromq.js#411: the addon's teardown resolves that receive in a dying JavaScript environment). V8's
// inspector can instead unwind the running script (Runtime.terminateExecution, the debugger's "stop"
// button): the thread's event loop then runs again, reads its "stalled" message, and leaves the ordinary
// way, its sockets closed first (see guard.ts). The worker must run with --no-force-async-hooks-checks
// (WORKER_EXEC_ARGV): unwinding a timer callback leaves Node's async-id stack unbalanced, which with the
// checks on is itself a fatal error.
import { Session } from "node:inspector";
import { Worker } from "node:worker_threads";

/** The flag every worker thread needs for an interrupt to leave it usable (see the file comment). */
const NO_ASYNC_HOOKS_CHECKS = "--no-force-async-hooks-checks";

/**
 * The execArgv for the worker threads: the server's own Node options (as Node would give them: `--import
 * tsx` for TypeScript handlers) plus NO_ASYNC_HOOKS_CHECKS — or undefined (inherit, without the flag) when
 * Node refuses that list for a worker, as it does when it holds a process-wide flag such as
 * --max-old-space-size (ERR_WORKER_INVALID_EXEC_ARGV). Node checks the list when a Worker is constructed, so
 * a throwaway one (no sockets: safe to end at once) tells.
 */
export function workerExecArgv(): string[] | undefined {
  const execArgv = [...process.execArgv, NO_ASYNC_HOOKS_CHECKS];
  try {
    void new Worker("", { eval: true, execArgv }).terminate();
    return execArgv;
  } catch {
    return undefined;
  }
}

/** How long an interrupt may take to reach the thread before we give up on it (ms). */
const ATTACH_TIMEOUT_MS = 2000;

interface Attached {
  sessionId: string;
  workerId: string;
  title: string;
}

/**
 * The thread id of an attached worker. Node titles a worker's inspector target `[worker <threadId>]`; its
 * `workerId` is the inspector's own counter, which matches the thread id only when threads register in the
 * order they were created (not so for a pool that starts several at once).
 */
function threadIdOf(info: Attached): string {
  return /^\[worker (\d+)\]/.exec(info.title)?.[1] ?? info.workerId;
}

/**
 * One inspector session on the main thread, attached to worker threads on first use. `interrupt(threadId)`
 * resolves true once V8 has been told to unwind that thread's running script, false when it could not be
 * reached (no inspector in this Node build, the thread already gone).
 */
export class ThreadInterrupter {
  private session: Session | undefined;
  /** Inspector session ids by thread id. */
  private readonly attached = new Map<string, string>();
  private readonly waiting = new Map<string, (sessionId: string) => void>();
  private enabled: Promise<void> | undefined;
  private nextId = 1;

  /**
   * Attaches to the worker threads now (and to every thread started later), before any is stuck: a session
   * first attached to a thread that is already stuck does not always get through to it (seen here with two
   * workers, one of them stuck).
   */
  async attach(): Promise<void> {
    try {
      await this.enable();
    } catch {
      // No inspector in this Node build: interrupt() will say so by returning false.
    }
  }

  /** Unwinds the script running on worker thread `threadId`. */
  async interrupt(threadId: number): Promise<boolean> {
    try {
      const sessionId = await this.sessionFor(String(threadId));
      if (sessionId === undefined) return false;
      const message = JSON.stringify({ id: this.nextId++, method: "Runtime.terminateExecution" });
      await this.post("NodeWorker.sendMessageToWorker", { sessionId, message });
      return true;
    } catch {
      return false;
    }
  }

  /** Detaches from every thread and closes the session. */
  close(): void {
    this.session?.disconnect();
    this.session = undefined;
    this.enabled = undefined;
    this.attached.clear();
  }

  private async sessionFor(workerId: string): Promise<string | undefined> {
    const known = this.attached.get(workerId);
    if (known !== undefined) return known;
    const found = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(workerId);
        resolve(undefined);
      }, ATTACH_TIMEOUT_MS);
      this.waiting.set(workerId, (sessionId) => {
        clearTimeout(timer);
        resolve(sessionId);
      });
    });
    await this.enable();
    return this.attached.get(workerId) ?? found;
  }

  private enable(): Promise<void> {
    if (this.enabled === undefined) {
      const session = new Session();
      session.connect();
      session.on("NodeWorker.attachedToWorker", ({ params }: { params: { sessionId: string; workerInfo: Attached } }) =>
        this.onAttached(threadIdOf(params.workerInfo), params.sessionId),
      );
      session.on("NodeWorker.detachedFromWorker", ({ params }: { params: { sessionId: string } }) => {
        for (const [id, sessionId] of this.attached) if (sessionId === params.sessionId) this.attached.delete(id);
      });
      this.session = session;
      // Attaches to the threads running now and to every thread started later.
      this.enabled = this.post("NodeWorker.enable", { waitForDebuggerOnStart: false });
    }
    return this.enabled;
  }

  private onAttached(workerId: string, sessionId: string): void {
    this.attached.set(workerId, sessionId);
    const waiter = this.waiting.get(workerId);
    this.waiting.delete(workerId);
    waiter?.(sessionId);
  }

  private post(method: string, params: object): Promise<void> {
    const session = this.session;
    if (session === undefined) return Promise.reject(new Error("inspector session closed"));
    return new Promise((resolve, reject) =>
      session.post(method, params, (error) => (error === null || error === undefined ? resolve() : reject(error))),
    );
  }
}
