// Starting and stopping the servers under test: ours through its CLI, the peers as forked roles.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { probeZmq } from "./probe.js";
import { freePort } from "@zpb/test-support";
import { resourcesOf, type Proc, type ProcessRegistry } from "./procs.js";
import type { ProcessResources, ServerKind } from "./result.js";
import type { CurveRunKeys } from "./curve-keys.js";

/** The bench package's folder (dist/.. when built). */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** What to start: a server kind, its worker count, busy-work per request. */
export interface ServerSpec {
  kind: ServerKind;
  workers: number;
  iterations: number;
  /** The compiled program of a native server ("native-router"). */
  binary?: string;
  /** Ours only: also serve raw-bytes echo (its address is `echoAddress`). */
  echo?: boolean;
  /**
   * Ours only: keep the server's default reply bound (1000 unread replies per client). Otherwise it runs with
   * `--reply-hwm 0`: the pipelined scenarios keep up to 4000 requests in flight per client, and a load client
   * that falls behind its own window would be a slow consumer by the default bound — the no-loss count
   * measures the server, not that bound (see @zpb/server's README, "Nothing lost").
   */
  defaultReplyBound?: boolean;
  /** Our server only: start it with `--pin` (I/O thread and workers pinned to cores). */
  pin?: boolean;
  /** Our server with --curve-key and --authorized-keys; clients use `curve.client` (the CURVE rows). */
  curve?: CurveRunKeys;
}

/** A server that answered a Ping and is ready for load. */
export interface RunningServer {
  spec: ServerSpec;
  /** zeromq endpoint, or host:port for grpc. */
  address: string;
  /** Our server's echo endpoint, when `spec.echo`. */
  echoAddress?: string;
  proc: Proc;
}

/** Label used in tables and charts, e.g. "zpb ×2", "plain-router", "grpc-js". */
export function serverLabel(kind: ServerKind, workers: number): string {
  switch (kind) {
    case "zpb":
      return `zpb ×${workers}`;
    case "piscina":
      return `piscina ×${workers}`;
    case "grpc":
      return "grpc-js";
    case "native-router":
      return "libzmq native (C)";
    default:
      return kind;
  }
}

/** Our server's CLI: @zpb/server's `bin` (through the workspace link), or undefined while it is not built. */
export function findServerCli(override?: string): string | undefined {
  if (override) return resolve(override);
  const pkgDir = join(PACKAGE_DIR, "node_modules", "@zpb", "server");
  try {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
      bin?: string | Record<string, string>;
    };
    const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin ? Object.values(pkg.bin)[0] : undefined;
    const cli = join(pkgDir, bin ?? "dist/cli.js");
    return existsSync(cli) ? cli : undefined;
  } catch {
    return undefined;
  }
}

/** The CPU-heavy handler module our server loads with --handler. */
export const HEAVY_HANDLER = join(PACKAGE_DIR, "dist", "handlers", "cpu-heavy.js");

/** Thrown when a server cannot be started (e.g. our server's CLI is not built yet). */
export class ServerUnavailableError extends Error {
  readonly code = "SERVER_UNAVAILABLE";
}

/** Starts a server and resolves once it answers (zeromq: a Ping got its Pong; grpc: bound). */
export async function startServer(
  registry: ProcessRegistry,
  spec: ServerSpec,
  serverCli: string | undefined,
  timeoutMs = 20_000,
): Promise<RunningServer> {
  if (spec.kind === "zpb") {
    if (!serverCli)
      throw new ServerUnavailableError("our server's CLI is not built (packages/server dist/cli.js): skipped");
    const port = await freePort();
    const address = `tcp://127.0.0.1:${port}`;
    const echoAddress = spec.echo === true ? `tcp://127.0.0.1:${await freePort()}` : undefined;
    const args = [serverCli, "--bind", address, "--workers", String(spec.workers)];
    args.push(...(echoAddress === undefined ? ["--no-echo"] : ["--echo", echoAddress]));
    if (spec.defaultReplyBound !== true) args.push("--reply-hwm", "0");
    if (spec.iterations > 0) args.push("--handler", HEAVY_HANDLER);
    if (spec.pin) args.push("--pin");
    if (spec.curve)
      args.push("--curve-key", spec.curve.serverSecretFile, "--authorized-keys", spec.curve.authorizedKeys);
    const proc = registry.spawnProgram(
      `zpb-server×${spec.workers}${spec.curve ? "-curve" : ""}`,
      process.execPath,
      args,
    );
    const exited = proc.exited.then(() => {
      throw new Error(
        `our server exited (${proc.exitCode ?? proc.signal}) before answering: ${proc.stderr.slice(-800)}`,
      );
    });
    exited.catch(() => {}); // only the race below cares
    try {
      await Promise.race([probeZmq(address, timeoutMs, 200, spec.curve?.client), exited]);
    } catch (err) {
      await proc.stop(2000);
      throw err;
    }
    return { spec, address, ...(echoAddress === undefined ? {} : { echoAddress }), proc };
  }
  if (spec.kind === "native-router") {
    if (!spec.binary) throw new ServerUnavailableError("the native ROUTER is not built: skipped");
    // It binds port 0 and prints the endpoint: no free-port race.
    const proc = registry.spawnProgram("native-router", spec.binary, [
      "--bind",
      "tcp://127.0.0.1:*",
      "--iterations",
      String(spec.iterations),
    ]);
    let address = "";
    try {
      address = await firstJsonLine(proc, timeoutMs).then((line) => String(line.endpoint));
      await probeZmq(address, timeoutMs);
    } catch (err) {
      await proc.stop(2000);
      throw new Error(`the native ROUTER did not answer: ${messageOf(err)} ${proc.stderr.slice(-800)}`);
    }
    return { spec, address, proc };
  }
  const role = spec.kind === "grpc" ? "grpc-server" : "peer-server";
  const config =
    spec.kind === "grpc"
      ? { iterations: spec.iterations }
      : { kind: spec.kind, iterations: spec.iterations, threads: spec.workers };
  const proc = registry.forkRole(role, config, `${role}:${spec.kind}`);
  try {
    const ready = await proc.next("ready", timeoutMs);
    const address = String(ready.info.endpoint ?? ready.info.target);
    if (spec.kind !== "grpc") await probeZmq(address, timeoutMs);
    return { spec, address, proc };
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
}

/** The first stdout line of an external program, as JSON (bounded by `timeoutMs` and by its exit). */
function firstJsonLine(proc: Proc, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error(`${proc.role}: no output within ${timeoutMs} ms`)), timeoutMs);
    proc.exited.then(() => reject(new Error(`${proc.role} exited (${proc.exitCode ?? proc.signal}): ${proc.stderr}`)));
    proc.child.stdout?.on("data", function onData(chunk: Buffer) {
      text += chunk.toString();
      const end = text.indexOf("\n");
      if (end < 0) return;
      proc.child.stdout?.off("data", onData);
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text.slice(0, end)) as Record<string, unknown>);
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads the server's resources from /proc, then stops it; returns both (resources null if it was gone). */
export async function stopServer(
  server: RunningServer,
): Promise<{ resources: ProcessResources | null; exitCode: number | null }> {
  let resources: ProcessResources | null = null;
  try {
    resources = resourcesOf(server.proc.pid);
  } catch {
    resources = null;
  }
  const exitCode = await server.proc.stop(10_000);
  return { resources, exitCode };
}
