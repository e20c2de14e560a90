// `--pin` (the Rust prost + zmq example's "pin threads to cores" tip): libzmq's I/O thread on core 0 and
// worker slot i on core (i + 1) mod cores, so the threads that carry every message stop migrating between
// cores. Linux only. We call util-linux's `taskset -p -c CORE TID` once per thread at start: it ships in
// every Debian/Ubuntu base system (util-linux is essential), and it spares us a native addon that would
// need a compiler (or an unmaintained prebuilt) for one sched_setaffinity call.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The Linux thread id of the calling thread (a worker thread's own), from /proc/thread-self; undefined elsewhere. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** Thread ids of libzmq's I/O threads in this process (named `ZMQbg/IO/<n>`). */
export function zmqIoThreadIds(): number[] {
  const ids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return ids;
  }
  for (const task of tasks) {
    try {
      if (readFileSync(`/proc/self/task/${task}/comm`, "utf8").startsWith("ZMQbg/IO/")) ids.push(Number(task));
    } catch {
      // the thread ended meanwhile
    }
  }
  return ids;
}

/** How long `awaitZmqIoThreadIds` waits for libzmq's I/O threads to take their names. */
const IO_THREAD_NAMES_MS = 2000;

/**
 * The ids of libzmq's `expected` I/O threads, once that many are named (or whichever are, after `timeoutMs`).
 * libzmq starts them with the context's first socket, but each thread names itself only once it first runs:
 * on a loaded machine, just after the fronts opened, `zmqIoThreadIds()` found none (a CI run with 4 busy
 * loops on 2 cores failed `--pin` that way).
 */
export async function awaitZmqIoThreadIds(
  expected: number,
  timeoutMs = IO_THREAD_NAMES_MS,
  list: () => number[] = zmqIoThreadIds,
): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ids = list();
    if (ids.length >= expected || performance.now() >= deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The core worker slot `slot` runs on: core 0 is libzmq's I/O thread's, workers take the others in turn. */
export function coreForWorker(slot: number, cores = availableParallelism()): number {
  return cores <= 1 ? 0 : (slot + 1) % cores;
}

/** Pins thread `tid` to `core`; rejects with taskset's own message when it cannot (not Linux, no taskset, …). */
export async function pinThread(tid: number, core: number): Promise<void> {
  try {
    await run("taskset", ["-p", "-c", String(core), String(tid)], { timeout: 5000 });
  } catch (cause) {
    const text = (cause as { stderr?: string }).stderr?.trim() || (cause as Error).message;
    throw new Error(`cannot pin thread ${tid} to core ${core}: ${text}`, { cause });
  }
}

/** The cores a thread may run on now (taskset -p's own report), e.g. "0" or "0,1"; for logs and tests. */
export async function threadCores(tid: number): Promise<string> {
  const { stdout } = await run("taskset", ["-p", "-c", String(tid)], { timeout: 5000 });
  return stdout.trim().split(":").at(-1)!.trim();
}
