// Runs the built zpb-server (dist/cli.js) as a real process on ephemeral loopback ports, for the tests that
// need signals, exit codes or the command line itself. Process handling (bounded life, output, signals by PID,
// the per-test kill) is @zpb/test-support's `Child`; this layer knows only zpb-server: where its CLI is, the
// flags that make it bind ephemeral ports and log JSON, and the startup line that names its endpoints.
import { fileURLToPath } from "node:url";
import { Child, run, waitUntil, within, type ChildOptions, type Ended } from "@zpb/test-support";

/** The last line zpb-server logs at start, once it is serving and handles its signals. */
export const HANDLERS_IN_PLACE = "stop with Ctrl-C (SIGINT) or SIGTERM";

/** The built CLI. */
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** A server process's life is bounded even if a test forgets it; `killChildrenAfterEach` ends it sooner. */
const SERVER_BOUND_MS = 300_000;
const STARTUP_MS = 15_000;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  child: Child;
  endpoints: { main: string[]; echo?: string };
  /** The complete stdout lines so far (JSON log entries). */
  readonly stdout: string[];
}

/** `Child` arguments for the CLI: `nodeArgs` go to node before the script, `env` is added to this process's. */
function cliOptions(
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[],
  boundMs: number,
): [string[], ChildOptions] {
  return [[...nodeArgs, CLI, ...args], { env: { ...process.env, ...env }, boundMs }];
}

/**
 * Runs the CLI to its end (bounded by `timeoutMs`) and returns how it ended; `env` is added to this process's
 * environment and `nodeArgs` go to node itself, before the script (e.g. `--import tsx`).
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 15_000,
  nodeArgs: string[] = [],
): Promise<Ended> {
  return run(...cliOptions(args, env, nodeArgs, timeoutMs));
}

/**
 * Starts the CLI on ephemeral ports with JSON logs and waits for its startup line (which names the bound
 * endpoints; the CLI handles its signals before it writes it, so a test may signal at once). `env` is added
 * to the environment.
 */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Spawned> {
  const flags = ["--bind", "tcp://127.0.0.1:*", "--echo", "tcp://127.0.0.1:*", "--log-format", "json"];
  const child = new Child(...cliOptions([...flags, ...args], env, nodeArgs, SERVER_BOUND_MS));
  // A line is complete once its newline is out; the text after the last one may still be arriving.
  const lines = () => child.stdout.split("\n").slice(0, -1);
  const startupLine = () => lines().find((line) => line.includes('"endpoints"'));
  await child.waitFor('"endpoints"', STARTUP_MS); // rejects with the output when the server exits or hangs
  await waitUntil(() => startupLine() !== undefined, "the end of the startup line");
  const entry = JSON.parse(startupLine()!) as Pick<Spawned, "endpoints">;
  return {
    child,
    endpoints: entry.endpoints,
    get stdout() {
      return lines();
    },
  };
}

/** The process's exit, or a rejection when it is still running `ms` later. */
export async function exitedWithin(spawned: Spawned, ms: number): Promise<Exit> {
  const { code, signal } = await within(spawned.child.done, "the server to exit", ms);
  return { code, signal };
}

/** Polls until some stdout line contains `text`, or `timeoutMs` passes; true when found. */
export function logged(spawned: Spawned, text: string, timeoutMs = 5000, times = 1): Promise<boolean> {
  const seen = (): number => spawned.stdout.filter((line) => line.includes(text)).length;
  return waitUntil(() => seen() >= times, text, timeoutMs).then(
    () => true,
    () => false,
  );
}
