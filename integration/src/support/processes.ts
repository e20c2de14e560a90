// Processes the cross-package tests start: the real server (packages/server, from its built dist/) and any
// other child, each bounded in time and stopped by PID.
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** A workspace package's folder, found through its name (a dependency of this package), never a relative path. */
export const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
export const SERVER_CLI = join(packageDir("@zpb/server"), "dist", "cli.js");
const HOST = "127.0.0.1";

/** A loopback port nobody listened on a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** How a process ended, with everything it printed. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A child process that is killed (SIGKILL, by PID) if it outlives its bound. */
export class Child {
  stdout = "";
  stderr = "";
  private ended: Ended | undefined;
  readonly done: Promise<Ended>;
  private readonly child: ChildProcess;
  private static readonly all = new Set<Child>();

  /** `shortLived` children are killed by killAll() after each test; the server lives for its whole file. */
  constructor(args: string[], boundMs: number, shortLived = true) {
    const started = performance.now();
    this.child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    if (shortLived) Child.all.add(this);
    this.child.stdout!.setEncoding("utf8").on("data", (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding("utf8").on("data", (s: string) => (this.stderr += s));
    this.done = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill("SIGKILL");
        reject(
          new Error(
            `${args.join(" ")}: still running after ${boundMs} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
          ),
        );
      }, boundMs);
      this.child.once("close", (code, signal) => {
        clearTimeout(timer);
        Child.all.delete(this);
        this.ended = { code, signal, stdout: this.stdout, stderr: this.stderr, ms: performance.now() - started };
        resolve(this.ended);
      });
    });
    this.done.catch(() => {});
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  /** Sends `signal` to this process (by PID) if it is still running. */
  kill(signal: NodeJS.Signals): void {
    if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, signal);
  }

  /** Resolves once the output contains `text`; rejects after `ms` or if the process ends first. */
  async waitFor(text: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(this.stdout + this.stderr).includes(text)) {
      if (!this.running) throw new Error(`ended before printing "${text}":\n${this.stdout}${this.stderr}`);
      if (Date.now() > deadline)
        throw new Error(`"${text}" not printed within ${ms} ms:\n${this.stdout}${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Kills every short-lived child still running (SIGKILL, by PID): the afterEach safety net. */
  static async killAll(): Promise<void> {
    await Promise.all(
      [...Child.all].map(async (c) => {
        c.kill("SIGKILL");
        await c.done.catch(() => {});
      }),
    );
  }
}

/** The real zpb server on free loopback ports, with 2 workers. */
export class ServerProcess {
  private constructor(
    private readonly child: Child,
    /** The Envelope service (REQ and DEALER peers alike). */
    readonly endpoint: string,
    /** The raw-bytes echo service. */
    readonly echoEndpoint: string,
  ) {}

  /** Starts the server on free ports; `extraArgs` are more zpb-server flags (e.g. `--curve-key FILE`). */
  static async start(extraArgs: string[] = []): Promise<ServerProcess> {
    const [front, echo] = [await freePort(), await freePort()];
    const endpoint = `tcp://${HOST}:${front}`;
    const echoEndpoint = `tcp://${HOST}:${echo}`;
    const child = new Child(
      [SERVER_CLI, "--bind", endpoint, "--echo", echoEndpoint, "--workers", "2", "--stats-interval", "0", ...extraArgs],
      120_000,
      false,
    );
    const server = new ServerProcess(child, endpoint, echoEndpoint);
    try {
      await Promise.all([listening(front, child), listening(echo, child)]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** What the server printed, for failure messages. */
  get log(): string {
    return this.child.stdout + this.child.stderr;
  }

  /** Sends `signal` (by PID), e.g. SIGHUP to reload the allow-list. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves once the server's output contains `text`. */
  waitFor(text: string, ms?: number): Promise<void> {
    return this.child.waitFor(text, ms);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 10 s; resolves to how it ended. */
  async stop(): Promise<Ended> {
    this.child.kill("SIGTERM");
    const hard = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    try {
      return await this.child.done;
    } finally {
      clearTimeout(hard);
    }
  }
}

/** Resolves once something accepts TCP connections on `port`. */
async function listening(port: number, child: Child, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!child.running) throw new Error(`server exited before listening on ${port}:\n${child.stdout}${child.stderr}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: HOST, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${HOST}:${port} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
