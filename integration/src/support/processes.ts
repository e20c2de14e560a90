// The real server (packages/server, from its built dist/) as a child process of the cross-package tests, on
// free loopback ports; process handling (bounded life, kill by PID) is @zpb/test-support's Child.
import { connect } from "node:net";
import { Child, freePort, LOOPBACK as HOST, type Ended } from "@zpb/test-support";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** A workspace package's folder, found through its name (a dependency of this package), never a relative path. */
export const packageDir = (name: string) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
export const SERVER_CLI = join(packageDir("@zpb/server"), "dist", "cli.js");

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
      { boundMs: 120_000, longLived: true },
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
  stop(): Promise<Ended> {
    return this.child.stop(10_000);
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
