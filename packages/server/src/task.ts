// The messages between the main thread and a worker's serving task (one long-lived piscina task per thread).
import type { MessagePort } from "node:worker_threads";
import type { OrphanedCall } from "./call-record.js";
import type { DeathNotice } from "./guard.js";
import type { WorkerSettings } from "./settings.js";

/** One service a worker serves: which backend to connect to and which handler answers it. */
export interface ServiceSpec {
  /** Names the service in logs and in HandlerContext ("main", "echo"). */
  name: string;
  /** The main thread's backend DEALER (an inproc:// address). */
  backend: string;
  /** A builtin handler name ("ping", "echo") or an absolute URL of a handler module. */
  handler: string;
}

/** What the main thread hands a worker (structured-cloned; `control` is transferred). */
export interface WorkerTask {
  /** The thread's slot in the pool (counters, liveness): one per thread of every service. */
  slot: number;
  /** The worker index handlers see (HandlerContext.workerId): 0..workers-1, the same for every service. */
  workerId: number;
  /**
   * The one service this thread serves. One socket per thread, on purpose: a thread whose only socket is
   * between receives can be ended safely, and a second socket would always have a receive pending.
   */
  service: ServiceSpec;
  counters: SharedArrayBuffer;
  /** Liveness stamps for the stuck-thread watchdog (liveness.ts). */
  liveness: SharedArrayBuffer;
  /** Handler-duration histogram slots (durations.ts), one per thread like `counters`. */
  durations: SharedArrayBuffer;
  /** Who waits on the call each thread runs now (call-record.ts). */
  calls: SharedArrayBuffer;
  /** The call the slot's previous thread died inside, unanswered, and why it died: this one answers it first. */
  orphan: (OrphanedCall & { reason: string }) | undefined;
  control: MessagePort;
  /** The settings marked `worker: true` in SERVER_SETTINGS. */
  settings: WorkerSettings;
}

/** What a serving task resolves to once it has closed its sockets. */
export interface WorkerResult {
  slot: number;
  /** Whether the drain hit its deadline (handlers still running or replies unsent when the sockets closed). */
  drainTimedOut: boolean;
}

/**
 * Main → worker. Stopping takes two steps so a worker keeps taking (and refusing) requests until the proxy
 * in front of it has stopped: "stop" = refuse new requests and let running ones finish (then say "drained");
 * "close" = close the socket and end the task. "stalled" = the watchdog found this thread stuck and has
 * unwound its script: answer what it holds and leave, to be replaced.
 */
export type ControlMessage =
  | { type: "stop"; drainMs: number }
  | { type: "close" }
  | { type: "stalled"; stuckForMs: number };

/** Worker → main. */
export type WorkerNotice =
  | { type: "ready"; threadId: number }
  | { type: "drained"; timedOut: boolean }
  /** A dying thread closed its sockets: its replacement may start; the thread ends later (sent-frames.ts). */
  | { type: "closed" }
  | DeathNotice;
