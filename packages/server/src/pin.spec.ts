// --pin: libzmq's I/O thread on core 0, each worker thread on its own core, checked in /proc.
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "./index.js";
import { awaitZmqIoThreadIds, coreForWorker, currentThreadId, zmqIoThreadIds } from "./pin.js";

/** Each thread of this process with the cores it may run on ("0", "1", "0-1"). */
function threadCores(): Map<number, { name: string; cores: string }> {
  const out = new Map<number, { name: string; cores: string }>();
  for (const task of readdirSync("/proc/self/task")) {
    try {
      const name = readFileSync(`/proc/self/task/${task}/comm`, "utf8").trim();
      const status = readFileSync(`/proc/self/task/${task}/status`, "utf8");
      out.set(Number(task), { name, cores: /Cpus_allowed_list:\s*(\S+)/.exec(status)![1]! });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe("pin", () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("puts the I/O thread on core 0 and workers on cores 1, 2, … in turn", () => {
    expect([0, 1, 2, 3].map((slot) => coreForWorker(slot, 4))).toEqual([1, 2, 3, 0]);
    expect([0, 1, 2].map((slot) => coreForWorker(slot, 2))).toEqual([1, 0, 1]);
    expect(coreForWorker(5, 1)).toBe(0);
  });

  it("finds this thread's id under /proc", () => {
    expect(currentThreadId()).toBe(process.pid); // the main thread's tid is the pid
  });

  it("waits for libzmq's I/O threads to take their names, within a bound", async () => {
    const seen = [[], [], [7]];
    let calls = 0;
    const list = () => seen[Math.min(calls++, seen.length - 1)]!;
    expect(await awaitZmqIoThreadIds(1, 2000, list)).toEqual([7]);
    expect(calls).toBe(3);
    const started = performance.now();
    expect(await awaitZmqIoThreadIds(1, 50, () => [])).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it.skipIf(availableParallelism() < 2)(
    "a server started with pin: its I/O thread and workers are each on one core",
    async () => {
      const before = threadCores();
      server = await startServer({ bind: ["tcp://127.0.0.1:*"], echo: false, workers: 2, pin: true });
      const after = threadCores();
      const io = zmqIoThreadIds();
      expect(io.length).toBeGreaterThan(0);
      for (const tid of io) expect(after.get(tid)?.cores).toBe("0");
      // The worker threads are new since `before`, and each may run on exactly its own core.
      const pinnedNew = [...after].filter(([tid, t]) => !before.has(tid) && !io.includes(tid) && /^\d+$/.test(t.cores));
      expect(pinnedNew.map(([, t]) => t.cores).sort()).toEqual([coreForWorker(0), coreForWorker(1)].map(String).sort());
    },
  );
});
