// A thin wrapper role around the native load client (native/load.c): the runner forks this like
// any client role (same ready/go/result/stop protocol, deadlines and cleanup); it spawns the
// binary in its own process group, relays "go" to it and its JSON result back.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cpuSecondsSince, onStop } from "../ipc.js";
import type { LoadClientResult } from "../result.js";
import type { DealerClientConfig } from "./zmq-clients.js";

/** Config of the native DEALER client: the JS client's, plus the compiled binary. */
export interface NativeDealerConfig extends DealerClientConfig {
  binary: string;
  /** Pings per ZeroMQ message (the batch wire); absent = single frames. */
  batch?: number;
}

/** Thrown when the binary ends or says something the wrapper does not expect. */
export class NativeClientError extends Error {
  readonly code = "NATIVE_CLIENT";
}

/** Runs one native DEALER load run; resolves with the binary's result (the wrapper's own CPU added). */
export async function runNativeDealerClient(
  config: NativeDealerConfig,
  ready: () => Promise<void>,
): Promise<LoadClientResult> {
  const args = [
    "--endpoint",
    config.endpoint,
    "--window",
    String(config.window),
    "--count",
    String(config.count),
    "--warmup",
    String(config.warmup),
    "--duration-ms",
    String(config.durationMs),
    "--seq-base",
    String(config.seqBase),
    "--stall-ms",
    String(config.stallMs),
    ...(config.batch === undefined ? [] : ["--batch", String(config.batch)]),
  ];
  // Same process group as this wrapper (the runner's group kill reaches it); stdin closing ends it.
  const child = spawn(config.binary, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<never>((_, reject) => {
    child.on("error", (err) => reject(new NativeClientError(`native client did not start: ${err.message}`)));
    child.on("exit", (code, signal) =>
      reject(new NativeClientError(`native client exited (${code ?? signal}) early: ${stderr.trim()}`)),
    );
  });
  exited.catch(() => {}); // only the races below care
  onStop(() => child.kill("SIGTERM"));

  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await Promise.race([lines.next(), exited]);
    if (done)
      return Promise.race([
        exited,
        Promise.reject(new NativeClientError(`native client closed its output: ${stderr.trim()}`)),
      ]);
    return value as string;
  };

  try {
    const hello = JSON.parse(await nextLine()) as { ready?: boolean };
    if (!hello.ready) throw new NativeClientError(`native client: unexpected first line ${JSON.stringify(hello)}`);
    await ready();
    const cpu = process.cpuUsage();
    child.stdin.write("go\n");
    const result = JSON.parse(await nextLine()) as LoadClientResult;
    // The whole client is binary + this wrapper (which only waits): count both, to be conservative.
    return { ...result, cpuSeconds: result.cpuSeconds + cpuSecondsSince(cpu) };
  } finally {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 2000).unref())]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }
}
