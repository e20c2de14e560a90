// The main thread's side of the worker pool: piscina with one long-lived serving task per thread
// (minThreads = size, maxThreads = 3 × size, concurrentTasksPerWorker 1, idleTimeout Infinity, atomics
// disabled). Each thread serves one service through one socket (see task.ts for why). A thread that dies
// (the guard's dying sequence) closes its socket and says so; the slot then gets a new task, which piscina
// places on a new thread, while the old thread waits to end until zeromq.js has handed back every frame it
// sent (sent-frames.ts). A task that ends badly without that notice means its thread died outright; it is
// replaced the same way. The watchdog (watchdog.ts) finds threads stuck in synchronous code; the pool
// unwinds their script (thread-interrupt.ts) and tells them to leave.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { Piscina } from "piscina";
import { ServerError } from "./errors.js";
import { createLivenessMemory } from "./liveness.js";
import type { Logger } from "./log.js";
import { workerSettingsOf, type ServerSettings, type WorkerSettings } from "./settings.js";
import type { ControlMessage, ServiceSpec, WorkerNotice, WorkerResult, WorkerTask } from "./task.js";
import { settlesWithin } from "./settles-within.js";
import { CallRecord, createCallRecords } from "./call-record.js";
import { collectGarbage } from "./full-gc.js";
import { v8HeapLimitMb } from "./heap-watch.js";
import { ThreadInterrupter, workerExecArgv } from "./thread-interrupt.js";
import { Watchdog, type Stall } from "./watchdog.js";

/** What the pool needs to start serving tasks. */
export interface PoolOptions {
  /** The built worker entry (dist/worker.js). */
  workerUrl: URL;
  /** The services; slot `s` serves `services[Math.floor(s / settings.workers)]`. */
  services: ServiceSpec[];
  /** Counter memory for every slot (services.length × settings.workers). */
  counters: SharedArrayBuffer;
  /** Handler-duration histogram slots (durations.ts), one per thread like `counters`. */
  durations: SharedArrayBuffer;
  /**
   * The server's settings: `workers` threads per service; those marked `worker: true` go to every serving
   * task; `workerHeapMb` and `stallTimeout` are the pool's own.
   */
  settings: ServerSettings;
  logger: Logger;
}

/** A worker that died, as logged and counted. */
export interface WorkerDeath {
  slot: number;
  reason: string;
  /** What ended it: a fault in its code, the watchdog (stuck), or its heap limit. */
  kind: "fault" | "stall" | "heap";
  at: Date;
}

interface Slot {
  control: MessagePort;
  done: Promise<void>;
  ready: boolean;
  threadId: number | undefined;
  /** Set once the watchdog (or the stop) has interrupted it: a second interrupt could unwind its last words. */
  interrupted: boolean;
  /** Set when it announced that it is leaving (its death notice arrived). */
  leaving: boolean;
  /** Resolves when the worker says it has drained (after "stop"), or its task ended. */
  drained: Promise<void>;
  /** Set once it closed its sockets to die: replaced already, its thread ends later (sent-frames.ts). */
  retired: boolean;
}

/** Restart delays for a slot whose workers keep dying before they are ready: 100 ms doubling to 10 s. */
const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 10_000;
/** How long past the drain deadline a worker may take to say it has drained before it is treated as stuck. */
const STOP_GRACE_MS = 1000;
/** How many times, how often, a stuck thread's script is interrupted until it shows it runs again. */
const INTERRUPT_ATTEMPTS = 20;
const INTERRUPT_RETRY_MS = 25;
/** How long an interrupted (stuck) worker may take to answer what it holds and leave. */
const LEAVE_MS = 2000;
/** Dead threads that may wait to end (sent-frames.ts), per live one: piscina's room beyond the workers. */
const RETIRING_PER_THREAD = 2;
/** How often the main thread collects garbage while threads wait to end: from 100 ms, doubling to 5 s (collectWhileRetiring). */
const RETIRING_COLLECT_MS = 100;
const RETIRING_COLLECT_MAX_MS = 5000;

/** A fixed-size pool of serving workers that replaces any worker that dies or gets stuck. */
export class WorkerPool {
  private readonly piscina: Piscina<WorkerTask, WorkerResult>;
  private readonly slots: Array<Slot | undefined>;
  private readonly earlyDeaths: number[];
  private readonly size: number;
  private readonly workersPerService: number;
  /** What every serving task gets (the settings marked `worker: true`). */
  private readonly workerSettings: WorkerSettings;
  private readonly liveness: SharedArrayBuffer;
  /** Who waits on the call each thread runs now, read when one dies inside it (call-record.ts). */
  private readonly calls: SharedArrayBuffer;
  private readonly callRecords: CallRecord[];
  private readonly watchdog: Watchdog;
  private readonly interrupter = new ThreadInterrupter();
  /** Threads that died and were replaced but have not ended yet (sent-frames.ts). */
  private readonly retiring = new Set<Slot>();
  private collecting: NodeJS.Timeout | undefined;
  private stopping = false;
  private drainTimeouts = 0;
  /** Every death since start, oldest first. */
  readonly deaths: WorkerDeath[] = [];
  /** Replacement workers that came up and serve (a death whose replacement failed too is not counted). */
  replacements = 0;

  constructor(private readonly options: PoolOptions) {
    this.workersPerService = options.settings.workers;
    this.size = options.services.length * this.workersPerService;
    this.workerSettings = workerSettingsOf(options.settings);
    const heapMb = options.settings.workerHeapMb;
    const execArgv = workerExecArgv();
    if (execArgv === undefined)
      options.logger.warn(
        { execArgv: process.execArgv },
        "worker threads inherit Node options that cannot be extended; a worker interrupted while stuck in a timer callback may end the process",
      );
    this.piscina = new Piscina<WorkerTask, WorkerResult>({
      filename: options.workerUrl.href,
      minThreads: this.size,
      // Room for threads that died but may not end yet, zeromq.js still holding frames they sent
      // (sent-frames.ts): a replacement must always find a thread, or a service whose every worker died
      // would have none, its proxy would block on the backend, and the clients whose unread replies keep
      // those threads waiting could never be let go (measured: the service stopped answering for good).
      maxThreads: (1 + RETIRING_PER_THREAD) * this.size,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      // Long tasks: a worker blocked in Atomics.wait would never see its own socket events.
      atomics: "disabled",
      // Our tasks resolve on our own stop signal; this only bounds close() if one never does.
      closeTimeout: 30_000,
      // The server's own Node options (`--import tsx` for TypeScript handlers, see handler-import.ts) plus
      // the flag an interrupted thread needs; left to Node (inherited) when it refuses that list for a
      // worker, e.g. with --max-old-space-size (see workerExecArgv).
      ...(execArgv === undefined ? {} : { execArgv }),
      // V8's limit sits above the budget the worker keeps itself (heap-watch.ts).
      ...(heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: v8HeapLimitMb(heapMb) } } : {}),
    });
    // With no task on a dying thread piscina reports the death as an 'error' event; it is counted via the task.
    this.piscina.on("error", (error: unknown) => options.logger.error({ err: error }, "worker pool error"));
    this.slots = new Array<Slot | undefined>(this.size).fill(undefined);
    this.earlyDeaths = new Array<number>(this.size).fill(0);
    this.liveness = createLivenessMemory(this.size);
    this.calls = createCallRecords(this.size);
    this.callRecords = Array.from({ length: this.size }, (_, slot) => new CallRecord(this.calls, slot));
    this.watchdog = new Watchdog(
      this.liveness,
      this.size,
      options.settings.stallTimeout,
      (slot) => this.slots[slot]?.ready === true,
      (stall) => void this.onStall(stall),
    );
  }

  /** Starts one serving task per slot; resolves when all are ready, rejects if any fails before that. */
  async start(): Promise<void> {
    const ready = Array.from({ length: this.size }, (_, slot) => this.launch(slot));
    try {
      await Promise.all(ready);
    } catch (error) {
      await this.drain(0);
      await this.close();
      throw error;
    }
    // Attached up front (see ThreadInterrupter.attach); the stop interrupts stuck workers even with no watchdog.
    await this.interrupter.attach();
    this.watchdog.start();
  }

  /** Worker threads in the pool (all services). */
  get threads(): number {
    return this.size;
  }

  /** Number of slots whose worker is serving right now. */
  get serving(): number {
    return this.slots.filter((s) => s?.ready === true).length;
  }

  /** Worker indices (0..workersPerService-1) whose thread of every service is serving right now. */
  get servingWorkers(): number {
    const per = this.workersPerService;
    let serving = 0;
    for (let worker = 0; worker < per; worker++) {
      let all = true;
      for (let slot = worker; slot < this.size; slot += per) all &&= this.slots[slot]?.ready === true;
      if (all) serving++;
    }
    return serving;
  }

  /** Deaths of each kind so far. */
  deathsOf(kind: WorkerDeath["kind"]): number {
    return this.deaths.filter((d) => d.kind === kind).length;
  }

  /**
   * Stop, step 1: every worker refuses new requests (CODE_UNAVAILABLE) and lets running handlers finish for
   * up to `drainMs`, then says so — and keeps refusing until close(). A worker that does not say so within
   * `drainMs + STOP_GRACE_MS` is stuck: it is interrupted like any stuck worker, so it cannot hold the stop up.
   */
  async drain(drainMs: number): Promise<{ drainTimedOut: number }> {
    this.stopping = true;
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    for (const entry of running) post(entry.control, { type: "stop", drainMs });
    const all = Promise.all(running.map((entry) => entry.drained));
    if (!(await settlesWithin(all, drainMs + STOP_GRACE_MS))) {
      for (const [slot, entry] of this.slots.entries()) {
        if (entry !== undefined && !(await settlesWithin(entry.drained, 0)))
          await this.onStall(this.watchdog.stallOf(slot, drainMs + STOP_GRACE_MS));
      }
      await settlesWithin(all, LEAVE_MS);
    }
    return { drainTimedOut: this.drainTimeouts };
  }

  /**
   * Stop, step 2 (after the proxies stopped): every worker closes its socket and ends its task; then the
   * threads end (safe: no socket is open in any of them any more).
   */
  async close(): Promise<void> {
    this.stopping = true;
    this.watchdog.stop();
    const running = this.slots.filter((s): s is Slot => s !== undefined);
    // Threads that died earlier and still wait on zeromq.js end now too (within a bound): the fronts are gone.
    for (const entry of [...running, ...this.retiring]) post(entry.control, { type: "close" });
    // Each worker waits for zeromq.js to hand back its frames before it ends; with JS forwarding some are
    // Buffers here that only a collection hands back.
    const collecting = setInterval(collectGarbage, RETIRING_COLLECT_MS);
    const all = Promise.all(running.map((entry) => entry.done));
    const retired = Promise.all([...this.retiring].map((entry) => entry.done));
    try {
      if (!(await settlesWithin(all, LEAVE_MS))) {
        this.options.logger.error({}, "a worker did not close its socket in time; ending the process is not safe");
        throw new ServerError("STOP_TIMEOUT", "a worker did not close its socket in time");
      }
      // Waited for here, on a timer: piscina's threads do not keep the event loop alive, and with nothing
      // else left in it Node would end the process mid-stop (exit 13, an unsettled top-level await; seen
      // once in a CI run, with a dead thread still waiting).
      await settlesWithin(retired, LEAVE_MS);
    } finally {
      clearInterval(collecting);
    }
    this.interrupter.close();
    if (!(await settlesWithin(this.piscina.close(), LEAVE_MS)))
      this.options.logger.warn({}, "worker threads had not all ended when the stop finished");
  }

  /** A stuck worker: unwind its script, tell it to answer what it holds and leave; the pool then replaces it. */
  private async onStall({ slot, stuckForMs, receivePending }: Stall): Promise<void> {
    const entry = this.slots[slot];
    if (entry === undefined || entry.interrupted) return;
    entry.interrupted = true;
    const { logger } = this.options;
    const service = this.serviceOf(slot).name;
    // The message first: it waits in the port until the unwound thread reads it. The terminate is sent again
    // until the thread shows it runs again (its "stalled" notice arrives): one that lands between two scripts
    // applies to the next one instead.
    post(entry.control, { type: "stalled", stuckForMs });
    let interrupted = false;
    for (let attempt = 0; attempt < INTERRUPT_ATTEMPTS && !entry.leaving && entry.threadId !== undefined; attempt++) {
      if (!(await this.interrupter.interrupt(entry.threadId))) break;
      interrupted = true;
      await new Promise((resolve) => setTimeout(resolve, INTERRUPT_RETRY_MS));
    }
    if (interrupted && entry.leaving) {
      logger.error(
        { worker: slot, service, stuckForMs },
        `worker ${slot} (${service}) made no progress for ${stuckForMs} ms; interrupted, it answers what it holds and is replaced`,
      );
      return;
    }
    const thread = this.piscina.threads.find((t) => t.threadId === entry.threadId);
    if (!receivePending && thread !== undefined) {
      // No receive pending on its one socket: ending the thread from outside is safe (README "Hardening").
      logger.error(
        { worker: slot, service, stuckForMs },
        `worker ${slot} (${service}) made no progress for ${stuckForMs} ms and could not be interrupted; ending its thread`,
      );
      await thread.terminate();
      return;
    }
    logger.error(
      { worker: slot, service, stuckForMs },
      `worker ${slot} (${service}) made no progress for ${stuckForMs} ms and cannot be ended safely (a receive is pending); the other workers serve on`,
    );
  }

  private serviceOf(slot: number): ServiceSpec {
    return this.options.services[Math.floor(slot / this.workersPerService)]!;
  }

  /** Runs the serving task for `slot`; resolves once it is ready to serve. */
  private launch(slot: number, orphan?: WorkerTask["orphan"]): Promise<void> {
    const { port1: control, port2: workerPort } = new MessageChannel();
    let lastWords: { reason: string; kind: WorkerDeath["kind"] } | undefined;
    let markReady!: () => void;
    let failEarly!: (error: unknown) => void;
    let markDrained!: () => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failEarly = reject;
    });
    const entry: Slot = {
      control,
      ready: false,
      threadId: undefined,
      interrupted: false,
      leaving: false,
      done: Promise.resolve(),
      drained: new Promise<void>((resolve) => (markDrained = resolve)),
      retired: false,
    };
    const onNotice = (notice: WorkerNotice): void => {
      switch (notice.type) {
        case "ready":
          entry.ready = true;
          entry.threadId = notice.threadId;
          this.earlyDeaths[slot] = 0;
          markReady();
          break;
        case "drained":
          if (notice.timedOut) this.drainTimeouts++;
          markDrained();
          break;
        case "fatal":
          lastWords = { reason: `uncaught exception: ${notice.message}`, kind: "fault" };
          break;
        case "exit":
          lastWords = { reason: `process.exit(${notice.code}) in the worker`, kind: "fault" };
          break;
        case "stalled":
          entry.leaving = true;
          lastWords = { reason: `stuck for ${notice.stuckForMs} ms running ${notice.running}`, kind: "stall" };
          break;
        case "closed": {
          // Its sockets are closed: replace it now; its thread ends once zeromq.js lets go of its frames.
          entry.retired = true;
          this.retiring.add(entry);
          this.collectWhileRetiring();
          this.endOldestRetiringPastCap();
          const death = lastWords ?? { reason: "the worker left", kind: "fault" as const };
          this.recordDeath(slot, death.reason, death.kind);
          break;
        }
        case "heap":
          lastWords = {
            reason: `heap at ${notice.usedMb} MiB kept, over its ${notice.limitMb} MiB budget`,
            kind: "heap",
          };
          break;
      }
    };
    control.on("message", onNotice);
    // The death notice and piscina's "worker exited" travel separately: read what the port already holds.
    const drainNotices = (): void => {
      for (let m = receiveMessageOnPort(control); m !== undefined; m = receiveMessageOnPort(control))
        onNotice(m.message as WorkerNotice);
    };
    this.watchdog.renew(slot);
    this.callRecords[slot]!.reset();
    const task: WorkerTask = {
      slot,
      workerId: slot % this.workersPerService,
      service: this.serviceOf(slot),
      counters: this.options.counters,
      liveness: this.liveness,
      durations: this.options.durations,
      calls: this.calls,
      orphan,
      control: workerPort,
      settings: this.workerSettings,
    };
    entry.done = this.piscina.run(task, { transferList: [workerPort] }).then(
      () => {
        markDrained();
        control.close();
      },
      (error: unknown) => {
        markDrained();
        drainNotices();
        control.close();
        if (entry.retired) {
          // Replaced when it closed its sockets; this is its thread ending.
          this.retiring.delete(entry);
          return;
        }
        // No last words: the thread died without answering the call it was inside (call-record.ts).
        const orphan = lastWords === undefined ? this.callRecords[slot]!.orphan() : undefined;
        const outOfMemory = (error as { code?: unknown }).code === "ERR_WORKER_OUT_OF_MEMORY";
        const death =
          lastWords ??
          (outOfMemory
            ? {
                reason: `V8 heap limit reached (${v8HeapLimitMb(this.options.settings.workerHeapMb)} MiB)`,
                kind: "heap" as const,
              }
            : { reason: error instanceof Error ? error.message : String(error), kind: "fault" as const });
        if (!entry.ready) {
          const startError =
            error instanceof Error && (error as { code?: unknown }).code === "HANDLER_LOAD"
              ? error
              : new ServerError("WORKER_START", `worker ${slot} failed before it was ready: ${death.reason}`, {
                  cause: error,
                });
          failEarly(startError);
          if (this.stopping || this.serving === 0) return;
          this.earlyDeaths[slot]!++;
        }
        this.recordDeath(
          slot,
          death.reason,
          death.kind,
          orphan && { ...orphan, reason: `the worker died running this request: ${death.reason}` },
        );
      },
    );
    this.slots[slot] = entry;
    return ready;
  }

  /**
   * While threads wait to end, the main thread collects its garbage now and then: with JS forwarding, a
   * reply it received from a worker is a Buffer over that worker's frame, handed back only when collected.
   */
  private collectWhileRetiring(): void {
    // A new thread waits: start again from the shortest interval.
    clearTimeout(this.collecting);
    let everyMs = RETIRING_COLLECT_MS;
    const round = (): void => {
      if (this.retiring.size === 0) {
        this.collecting = undefined;
        return;
      }
      collectGarbage();
      // Further apart while the same threads wait: a client that never reads can keep them for hours.
      everyMs = Math.min(2 * everyMs, RETIRING_COLLECT_MAX_MS);
      this.collecting = setTimeout(round, everyMs).unref();
    };
    this.collecting = setTimeout(round, everyMs).unref();
  }

  /**
   * More dead threads waiting than there is room for: the oldest ends now, frames or not, so replacements
   * keep starting. What zeromq.js still held of it is then handed back into freed memory when released,
   * which can end the process; that takes more worker deaths, while clients keep their replies unread,
   * than the room holds (README "Faults").
   */
  private endOldestRetiringPastCap(): void {
    if (this.retiring.size <= RETIRING_PER_THREAD * this.size) return;
    const oldest = this.retiring.values().next().value as Slot;
    this.retiring.delete(oldest);
    this.options.logger.warn(
      { waiting: this.retiring.size + 1 },
      "more dead worker threads wait for zeromq.js to hand back their replies than there is room for; the oldest ends now (replies still queued for a client that does not read them may crash the process when released)",
    );
    post(oldest.control, { type: "close" });
  }

  private recordDeath(slot: number, reason: string, kind: WorkerDeath["kind"], orphan?: WorkerTask["orphan"]): void {
    this.deaths.push({ slot, reason, kind, at: new Date() });
    this.slots[slot] = undefined;
    if (this.stopping) {
      this.options.logger.warn({ worker: slot, reason, kind }, `worker ${slot} died while stopping (${reason})`);
      return;
    }
    const early = this.earlyDeaths[slot]!;
    const delay = early === 0 ? 0 : Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (early - 1));
    this.options.logger.error(
      { worker: slot, reason, kind, deaths: this.deaths.length },
      `worker ${slot} died (${reason}); starting a replacement${delay > 0 ? ` in ${delay} ms` : ""}`,
    );
    const restart = (): void => {
      if (this.stopping) return;
      this.launch(slot, orphan).then(
        () => {
          this.replacements++;
          this.options.logger.info({ worker: slot }, `worker ${slot} replaced and serving`);
        },
        () => undefined,
      );
    };
    if (delay === 0) restart();
    else setTimeout(restart, delay).unref();
  }
}

function post(port: MessagePort, message: ControlMessage): void {
  try {
    port.postMessage(message);
  } catch {
    // The port closed: that task is ending already.
  }
}
