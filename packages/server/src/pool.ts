// The main thread's side of the worker pool: piscina with one long-lived serving task per thread
// (minThreads = maxThreads = size, concurrentTasksPerWorker 1, idleTimeout Infinity, atomics disabled).
// A task that ends badly means its thread died (the guard closed its sockets first); the slot gets a
// new task, which piscina places on the replacement thread it starts.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { ServerError } from "./errors.js";
import type { Logger } from "./log.js";
import type { WorkerSettings } from "./settings.js";
import type { ControlMessage, ServiceSpec, WorkerNotice, WorkerResult, WorkerTask } from "./task.js";

/** What the pool needs to start serving tasks. */
export interface PoolOptions {
  size: number;
  /** The built worker entry (dist/worker.js). */
  workerUrl: URL;
  services: ServiceSpec[];
  counters: SharedArrayBuffer;
  /** Handed to every serving task as is. */
  settings: WorkerSettings;
  logger: Logger;
}

/** A worker that died, as logged and counted. */
export interface WorkerDeath {
  slot: number;
  reason: string;
  at: Date;
}

interface Slot {
  control: MessagePort;
  done: Promise<void>;
  ready: boolean;
}

/** Restart delays for a slot whose workers keep dying before they are ready: 100 ms doubling to 10 s. */
const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 10_000;
/** How long past the drain deadline a worker may take to close its sockets and end its task. */
const STOP_GRACE_MS = 3000;

/** A fixed-size pool of serving workers that replaces any worker that dies. */
export class WorkerPool {
  private readonly piscina: Piscina<WorkerTask, WorkerResult>;
  private readonly slots: Array<Slot | undefined>;
  private readonly earlyDeaths: number[];
  private stopping = false;
  /** Every death since start, oldest first. */
  readonly deaths: WorkerDeath[] = [];

  constructor(private readonly options: PoolOptions) {
    this.piscina = new Piscina<WorkerTask, WorkerResult>({
      filename: options.workerUrl.href,
      minThreads: options.size,
      maxThreads: options.size,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      // Long tasks: a worker blocked in Atomics.wait would never see its own socket events.
      atomics: "disabled",
      // Our tasks resolve on our own stop signal; this only bounds close() if one never does.
      closeTimeout: 30_000,
    });
    // With no task on a dying thread piscina reports the death as an 'error' event; it is counted via the task.
    this.piscina.on("error", (error: unknown) => options.logger.error({ err: error }, "worker pool error"));
    this.slots = new Array<Slot | undefined>(options.size).fill(undefined);
    this.earlyDeaths = new Array<number>(options.size).fill(0);
  }

  /** Starts one serving task per slot; resolves when all are ready, rejects if any fails before that. */
  async start(): Promise<void> {
    const ready = Array.from({ length: this.options.size }, (_, slot) => this.launch(slot));
    try {
      await Promise.all(ready);
    } catch (error) {
      await this.stop(0);
      throw error;
    }
  }

  /** Number of slots whose worker is serving right now. */
  get serving(): number {
    return this.slots.filter((s) => s?.ready === true).length;
  }

  /**
   * Tells every worker to drain for up to `drainMs` and close its sockets, waits for all (at most
   * `drainMs + STOP_GRACE_MS`), then ends the threads. A worker that never answers (stuck in synchronous
   * code) cannot close its sockets, and ending its thread would abort the process: the pool is then left
   * open and its slots are returned in `stuck`.
   */
  async stop(drainMs: number): Promise<{ drainTimedOut: number; stuck: number[] }> {
    this.stopping = true;
    const running = this.slots.flatMap((s, slot) => (s === undefined ? [] : [{ slot, entry: s, finished: false }]));
    for (const { entry } of running) {
      try {
        entry.control.postMessage({ type: "stop", drainMs } satisfies ControlMessage);
      } catch {
        // The port closed: that task is ending already.
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs + STOP_GRACE_MS)));
    const all = Promise.all(
      running.map((r) =>
        r.entry.done.then(() => {
          r.finished = true;
        }),
      ),
    );
    await Promise.race([all, deadline]);
    clearTimeout(timer);
    const stuck = running.filter((r) => !r.finished).map((r) => r.slot);
    // Every task has resolved, so every worker socket is closed: ending the threads is safe now.
    if (stuck.length === 0) await this.piscina.close();
    return { drainTimedOut: this.drainTimeouts, stuck };
  }

  private drainTimeouts = 0;

  /** Runs the serving task for `slot`; resolves once it is ready to serve. */
  private launch(slot: number): Promise<void> {
    const { port1: control, port2: workerPort } = new MessageChannel();
    let lastWords: string | undefined;
    let markReady!: () => void;
    let failEarly!: (error: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failEarly = reject;
    });
    const entry: Slot = { control, ready: false, done: Promise.resolve() };
    const onNotice = (notice: WorkerNotice): void => {
      if (notice.type === "ready") {
        entry.ready = true;
        this.earlyDeaths[slot] = 0;
        markReady();
      } else if (notice.type === "fatal") lastWords = `uncaught exception: ${notice.message}`;
      else if (notice.type === "exit") lastWords = `process.exit(${notice.code}) in the worker`;
    };
    control.on("message", onNotice);
    // The death notice and piscina's "worker exited" travel separately: read what the port already holds.
    const drainNotices = (): void => {
      for (let m = receiveMessageOnPort(control); m !== undefined; m = receiveMessageOnPort(control))
        onNotice(m.message as WorkerNotice);
    };
    const task: WorkerTask = {
      slot,
      services: this.options.services,
      counters: this.options.counters,
      control: workerPort,
      settings: this.options.settings,
    };
    entry.done = this.piscina.run(task, { transferList: [workerPort] }).then(
      (result) => {
        if (result.drainTimedOut) this.drainTimeouts++;
        control.close();
      },
      (error: unknown) => {
        drainNotices();
        control.close();
        const reason = lastWords ?? (error instanceof Error ? error.message : String(error));
        if (!entry.ready) {
          const startError =
            error instanceof Error && (error as { code?: unknown }).code === "HANDLER_LOAD"
              ? error
              : new ServerError("WORKER_START", `worker ${slot} failed before it was ready: ${reason}`, {
                  cause: error,
                });
          failEarly(startError);
          if (this.stopping || this.serving === 0) return;
          this.earlyDeaths[slot]!++;
        }
        this.recordDeath(slot, reason);
      },
    );
    this.slots[slot] = entry;
    return ready;
  }

  private recordDeath(slot: number, reason: string): void {
    this.deaths.push({ slot, reason, at: new Date() });
    this.slots[slot] = undefined;
    if (this.stopping) {
      this.options.logger.warn({ worker: slot, reason }, `worker ${slot} died while stopping`);
      return;
    }
    const early = this.earlyDeaths[slot]!;
    const delay = early === 0 ? 0 : Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (early - 1));
    this.options.logger.error(
      { worker: slot, reason, deaths: this.deaths.length },
      `worker ${slot} died (${reason}); starting a replacement${delay > 0 ? ` in ${delay} ms` : ""}`,
    );
    const restart = (): void => {
      if (this.stopping) return;
      this.launch(slot).then(
        () => this.options.logger.info({ worker: slot }, `worker ${slot} replaced and serving`),
        () => undefined,
      );
    };
    if (delay === 0) restart();
    else setTimeout(restart, delay).unref();
  }
}
