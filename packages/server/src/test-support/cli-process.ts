// Runs the built zpb-server (dist/cli.js) as a real process on ephemeral loopback ports, for the tests that
// need signals, exit codes or the command line itself. Every process started here is killed (by its own
// handle) in killSpawned(), which each test file calls after each test.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** The built CLI. */
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  child: ChildProcess;
  endpoints: { main: string[]; echo?: string };
  /** stdout lines so far (JSON log entries). */
  stdout: string[];
  stderr: string[];
  exit: Promise<Exit>;
}

const children: ChildProcess[] = [];

/**
 * Starts a process running the CLI with `args` and `env` added to this process's environment; `nodeArgs` go
 * to node itself, before the script (e.g. `--import tsx`).
 */
export function spawnCli(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  children.push(child);
  return child;
}

/** Runs the CLI to its end (bounded by `timeoutMs`) and returns its exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 15_000,
  nodeArgs: string[] = [],
): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawnCli(args, env, nodeArgs);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exit = await new Promise<Exit>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  clearTimeout(timer);
  return { ...exit, stdout, stderr };
}

/**
 * Starts the CLI on ephemeral ports with JSON logs and waits for its startup line (which names the bound
 * endpoints). `env` is added to the environment.
 */
export async function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Spawned> {
  const child = spawnCli(
    ["--bind", "tcp://127.0.0.1:*", "--echo", "tcp://127.0.0.1:*", "--log-format", "json", ...args],
    env,
    nodeArgs,
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exit = new Promise<Exit>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const endpoints = await new Promise<Spawned["endpoints"]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${stdout.join("\n")} ${stderr.join("")}`)),
      15_000,
    );
    createInterface({ input: child.stdout! }).on("line", (line) => {
      stdout.push(line);
      const entry = JSON.parse(line) as { endpoints?: Spawned["endpoints"] };
      if (entry.endpoints !== undefined) {
        clearTimeout(timer);
        resolve(entry.endpoints);
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited early: ${stderr.join("")}`));
    });
  });
  return { child, endpoints, stdout, stderr, exit };
}

/** The process's exit, or a rejection when it is still running `ms` later. */
export async function exitedWithin(spawned: { exit: Promise<Exit> }, ms: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server still running ${ms} ms after the signal`)), ms);
  });
  try {
    return await Promise.race([spawned.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until some stdout line contains `text`, or `timeoutMs` passes; true when found. */
export async function logged(spawned: Spawned, text: string, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawned.stdout.some((line) => line.includes(text))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Kills (SIGKILL) every process started here that is still running. */
export function killSpawned(): void {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}
