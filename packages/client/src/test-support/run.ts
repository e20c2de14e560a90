// Runs node scripts (the built zpb CLI, fixtures) as child processes with a hard time bound.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const ZPB = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Running {
  child: ChildProcess;
  /** Resolves when the process exits; rejects (after killing it) if it outlives `timeoutMs`. */
  done: Promise<Run>;
  /** Resolves once stdout+stderr contain `text`; rejects after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts `node script ...args`; the process is killed (by its pid) if it runs past `timeoutMs`. */
export function start(script: string, args: string[], timeoutMs = 15_000): Running {
  const started = performance.now();
  const child = spawn(process.execPath, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const l of listeners) l();
  });
  const done = new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${script} ${args.join(" ")} still running after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  const waitFor = (text: string, waitMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!(stdout + stderr).includes(text)) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`"${text}" not seen within ${waitMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, waitMs);
      listeners.add(check);
      check();
    });
  return { child, done, waitFor };
}

/** Runs the built `zpb` with `args` to completion. */
export function zpb(args: string[], timeoutMs?: number): Promise<Run> {
  return start(ZPB, args, timeoutMs).done;
}

/** Kills (by pid) every child this module started that is still running. Call from afterEach. */
export function killLeftovers(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

/** A TCP port nobody was listening on a moment ago (for programs that must bind a given endpoint). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Parses NDJSON output. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
