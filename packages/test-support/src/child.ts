import { spawn, type ChildProcess } from "node:child_process";

/** How a process ended, with everything it printed. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from start to exit. */
  ms: number;
}

export interface ChildOptions {
  /** The program; default this Node binary, so `args` are a script and its arguments. */
  command?: string;
  /** The hard bound on the process's life: past it the process is killed (SIGKILL, by PID) and `done` rejects. */
  boundMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Left alone by `Child.killAll()` (the per-test safety net): for a process that serves a whole test file and
   * is stopped in its `afterAll`. Its bound still applies.
   */
  longLived?: boolean;
}

const DEFAULT_BOUND_MS = 30_000;
const DEFAULT_LINE_WAIT_MS = 10_000;

/**
 * A child process a test started: output collected, life bounded, signals sent by its own PID only (never by
 * name or process group), tracked until it exits so `Child.killAll()` can end whatever a failing test left.
 */
export class Child {
  private static readonly live = new Set<Child>();
  readonly pid: number;
  /** Resolves when the process has exited and its output is read; rejects if it outlives its bound. */
  readonly done: Promise<Ended>;
  private out = "";
  private err = "";
  private ended: Ended | undefined;
  private readonly process: ChildProcess;
  private readonly onOutput = new Set<() => void>();

  /** Starts `command args…` (by default `node args…`) with stdin closed and stdout/stderr collected. */
  constructor(
    readonly args: string[],
    options: ChildOptions = {},
  ) {
    const started = performance.now();
    const command = options.command ?? process.execPath;
    const boundMs = options.boundMs ?? DEFAULT_BOUND_MS;
    this.process = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    this.pid = this.process.pid ?? -1;
    if (!options.longLived) Child.live.add(this);
    const collect = (into: "out" | "err") => (chunk: string) => {
      this[into] += chunk;
      for (const wake of this.onOutput) wake();
    };
    this.process.stdout!.setEncoding("utf8").on("data", collect("out"));
    this.process.stderr!.setEncoding("utf8").on("data", collect("err"));
    const name = [command === process.execPath ? "node" : command, ...args].join(" ");
    this.done = new Promise<Ended>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill("SIGKILL");
        reject(new Error(`${name}: still running after ${boundMs} ms\n${this.transcript()}`));
      }, boundMs);
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        Child.live.delete(this);
        this.ended = { code, signal, stdout: this.out, stderr: this.err, ms: performance.now() - started };
        for (const wake of this.onOutput) wake();
        resolve(this.ended);
      };
      this.process.once("close", finish);
      this.process.once("error", (error) => {
        this.err += `\n[spawn] ${error.message}`;
        finish(null, null);
      });
    });
    this.done.catch(() => {}); // a test that never awaits `done` still sees the bound through killAll/stop
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** stdout then stderr, labelled: for failure messages. */
  transcript(): string {
    return `stdout: ${this.out}\nstderr: ${this.err}`;
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  /** Sends `signal` to this process, by its PID, if it is still running. */
  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.running || this.pid < 0) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // exited between the check and the signal
    }
  }

  /**
   * Resolves once stdout or stderr contains `text` (a string or a pattern); rejects after `ms` or when the
   * process ends without having printed it.
   */
  waitFor(text: string | RegExp, ms = DEFAULT_LINE_WAIT_MS): Promise<void> {
    const seen = () => {
      const all = this.out + this.err;
      return typeof text === "string" ? all.includes(text) : text.test(all);
    };
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.onOutput.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (seen()) settle();
        else if (!this.running) settle(new Error(`ended before printing ${String(text)}\n${this.transcript()}`));
      };
      const timer = setTimeout(
        () => settle(new Error(`${String(text)} not printed within ${ms} ms\n${this.transcript()}`)),
        ms,
      );
      this.onOutput.add(check);
      check();
    });
  }

  /** SIGTERM (or `signal`), then SIGKILL if the process has not exited within `graceMs`; resolves to how it ended. */
  async stop(graceMs = 10_000, signal: NodeJS.Signals = "SIGTERM"): Promise<Ended> {
    this.kill(signal);
    const hard = setTimeout(() => this.kill("SIGKILL"), graceMs);
    try {
      return await this.done;
    } finally {
      clearTimeout(hard);
    }
  }

  /** Kills (SIGKILL, by PID) every child not started `longLived` that is still running, and waits for each. */
  static async killAll(): Promise<void> {
    await Promise.all(
      [...Child.live].map(async (child) => {
        child.kill("SIGKILL");
        await child.done.catch(() => {});
      }),
    );
  }
}

/** Runs `command args…` (by default `node args…`) to its end, bounded; resolves to how it ended. */
export function run(args: string[], options: ChildOptions = {}): Promise<Ended> {
  return new Child(args, options).done;
}
