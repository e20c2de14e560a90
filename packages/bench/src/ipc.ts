// The little protocol between the runner and its child processes, over Node's IPC channel.

/** Runner → child. */
export type ParentMessage = { type: "go" } | { type: "stop" };

/** Child → runner. */
export type ChildMessage =
  | { type: "ready"; info: Record<string, unknown> }
  | { type: "result"; data: unknown }
  | { type: "failed"; message: string };

/** Sends a message to the runner (no-op when the process was not forked with IPC). */
export function tell(message: ChildMessage): void {
  process.send?.(message);
}

/** A wait for "go" that ended because the runner said stop (or went away) first. */
export class StoppedError extends Error {
  readonly code = "STOPPED";
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

const waiters = new Map<ParentMessage["type"], Waiter[]>();
const seen = new Set<ParentMessage["type"]>();
let stopHandlers: Array<() => void> = [];

process.on("message", (raw: ParentMessage) => {
  seen.add(raw.type);
  for (const w of waiters.get(raw.type) ?? []) w.resolve();
  waiters.delete(raw.type);
  if (raw.type === "stop") runStop();
});

// The runner is gone (crashed or killed): behave as if told to stop, so no child outlives it.
process.on("disconnect", () => {
  runStop();
  // Sockets are closed by the stop handlers first; this only ends a child that would not go.
  setTimeout(() => process.exit(3), 3000).unref();
});

function runStop(): void {
  for (const w of waiters.get("go") ?? []) w.reject(new StoppedError("stopped before go"));
  waiters.delete("go");
  const handlers = stopHandlers;
  stopHandlers = [];
  for (const h of handlers) h();
}

/** Resolves when the runner sends `type` (at once if it already did); a wait for "go" rejects on stop. */
export function waitFor(type: ParentMessage["type"]): Promise<void> {
  if (seen.has(type)) return Promise.resolve();
  if (type === "go" && seen.has("stop")) return Promise.reject(new StoppedError("stopped before go"));
  return new Promise((resolve, reject) => {
    const list = waiters.get(type) ?? [];
    list.push({ resolve, reject });
    waiters.set(type, list);
  });
}

/** Runs `handler` once when the runner says stop or goes away. */
export function onStop(handler: () => void): void {
  stopHandlers.push(handler);
}

/** CPU seconds (user + system, all threads) of this process since `since`. */
export function cpuSecondsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
}

/** Monotonic seconds. */
export function nowSeconds(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Sleeps `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
