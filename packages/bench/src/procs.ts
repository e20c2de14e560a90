// Every process the runner starts goes through here: each in its own process group (detached),
// tracked by PID until it exits, and killed — group and all — when the run ends, fails or is
// interrupted. Also reads a process's peak RSS and CPU time from /proc.
import { fork, spawn, execFileSync, type ChildProcess } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import type { ChildMessage, ParentMessage } from "./ipc.js";
import type { ProcessResources } from "./result.js";
import type { Role } from "./roles/role.js";

/** A child failed, timed out or exited before it said what was expected. */
export class ChildError extends Error {
  constructor(
    readonly code: "CHILD_TIMEOUT" | "CHILD_EXITED" | "CHILD_FAILED",
    message: string,
  ) {
    super(message);
  }
}

const STDERR_TAIL = 4000;

/** One started process: its messages (forked roles), its exit, its stderr tail. */
export class Proc {
  readonly pid: number;
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  readonly exited: Promise<void>;
  private stderrTail = "";
  private readonly inbox: ChildMessage[] = [];
  private wakeInbox: (() => void) | undefined;

  constructor(
    readonly role: string,
    readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new ChildError("CHILD_EXITED", `${role}: could not start`);
    this.pid = child.pid;
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL);
    });
    child.stdout?.on("data", () => {}); // drained, so a chatty child never blocks on a full pipe
    child.on("error", (err) => {
      this.stderrTail = `${this.stderrTail}\n[runner] ${err.message}`.slice(-STDERR_TAIL);
    });
    child.on("message", (m: ChildMessage) => {
      this.inbox.push(m);
      this.wakeInbox?.();
    });
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        this.wakeInbox?.();
        resolve();
      }),
    );
  }

  get running(): boolean {
    return this.exitCode === null && this.signal === null;
  }

  /** The last lines the process wrote to stderr. */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  /** Waits for the next message of `type`; a "failed" message, an exit or `timeoutMs` reject. */
  async next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.inbox.findIndex((m) => m.type === type || m.type === "failed");
      if (at >= 0) {
        const [m] = this.inbox.splice(at, 1);
        if (m!.type === "failed") throw new ChildError("CHILD_FAILED", `${this.role} failed: ${m!.message}`);
        return m as Extract<ChildMessage, { type: T }>;
      }
      if (!this.running) {
        throw new ChildError(
          "CHILD_EXITED",
          `${this.role} exited (${this.exitCode ?? this.signal}) before "${type}"${this.stderrHint()}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new ChildError("CHILD_TIMEOUT", `${this.role}: no "${type}" within ${timeoutMs} ms${this.stderrHint()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wakeInbox = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeInbox = undefined;
    }
  }

  /** Sends a message to a forked role (ignored once it has gone). */
  send(message: ParentMessage): void {
    // The callback takes the error of a channel that closed under us (else it is an 'error' event).
    if (this.child.connected) this.child.send(message, () => {});
  }

  /** Kills the whole process group now. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // the group is already gone
    }
  }

  /**
   * Stops the process politely — "stop" over IPC for roles, SIGTERM for external programs —
   * and kills its group if it has not exited within `graceMs`. Returns its exit code (null if killed).
   */
  async stop(graceMs: number): Promise<number | null> {
    if (this.running) {
      if (this.child.connected) this.send({ type: "stop" });
      else this.child.kill("SIGTERM");
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
      if (this.running) {
        this.kill("SIGKILL");
        await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000).unref())]);
        return null;
      }
    }
    this.kill("SIGKILL"); // anything the process itself left in its group
    return this.exitCode;
  }

  private stderrHint(): string {
    const tail = this.stderr.split("\n").slice(-6).join("\n");
    return tail ? `\n--- stderr of ${this.role} (pid ${this.pid}) ---\n${tail}` : "";
  }
}

/** The registry of every process this run started. */
export class ProcessRegistry {
  /** Every process started, in order (also written to `pidLog` when set). */
  readonly started: Array<{ pid: number; role: string }> = [];
  private readonly live = new Set<Proc>();

  constructor(
    private readonly childScript: string,
    private readonly pidLog?: string,
  ) {}

  /** Forks `child.js <role> <config>` in its own process group, with IPC; `label` names it in messages. */
  forkRole(role: Role, config: unknown, label: string = role): Proc {
    const child = fork(this.childScript, [role, JSON.stringify(config)], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: [],
    });
    return this.track(label, child);
  }

  /** Spawns an external program (our server's CLI) in its own process group. */
  spawnProgram(role: string, command: string, args: string[]): Proc {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    return this.track(role, child);
  }

  /** Processes still running. */
  get running(): Proc[] {
    return [...this.live].filter((p) => p.running);
  }

  /** Stops every live process (politely, then by force) — the end of a scenario or of the run. */
  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all(this.running.map((p) => p.stop(graceMs)));
  }

  /** Synchronous last resort (process "exit"): SIGKILL every group we started that may remain. */
  killAllNow(): void {
    for (const p of this.live) p.kill("SIGKILL");
  }

  private track(role: string, child: ChildProcess): Proc {
    const proc = new Proc(role, child);
    this.live.add(proc);
    this.started.push({ pid: proc.pid, role });
    if (this.pidLog) appendFileSync(this.pidLog, `${proc.pid} ${role}\n`);
    void proc.exited.then(() => {
      // the group may still hold grandchildren: keep it on the list until the run's final kill
      if (!groupAlive(proc.pid)) this.live.delete(proc);
    });
    return proc;
  }
}

/** True while any process of group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (utime + stime, all threads) of a live process, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
}

/** Peak RSS, CPU seconds and age of a live process, from /proc. */
export function resourcesOf(pid: number): ProcessResources {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const startedAtSeconds = Number(fields[19]) / ticksPerSecond(); // field 22: starttime, in ticks since boot
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return {
    peakRssBytes: hwm ? Number(hwm[1]) * 1024 : 0,
    cpuSeconds: cpuSecondsOf(pid),
    wallSeconds: Math.round((uptime - startedAtSeconds) * 100) / 100,
  };
}
