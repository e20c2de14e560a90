// Runs integration/python/peer.py — Debian's pyzmq + protobuf with code protoc generates from our own
// example.proto — as a separate process, so the tests can drive our sockets from a stack we did not write.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** Debian's interpreter: a pyenv `python3` earlier on PATH does not see Debian's dist-packages. */
export const PYTHON = "/usr/bin/python3";
/** The protobuf compiler from Debian's protobuf-compiler. */
export const PROTOC = "protoc";
/** The schema our TypeScript code is generated from, found through @zpb/proto's exports. */
export const PROTO_FILE = createRequire(import.meta.url).resolve("@zpb/proto/example.proto");

const PEER_SCRIPT = fileURLToPath(new URL("../../python/peer.py", import.meta.url));
const INSTALL_HINT =
  "install them as root with scripts/ensure-peers.sh (apt-get install python3-zmq python3-protobuf protobuf-compiler)";

/**
 * Why the Python interop tests cannot run here, or undefined when they can. The tests fail with this
 * text rather than skip: a machine without the peer would otherwise pass while proving nothing.
 */
export function missingPrerequisites(): string | undefined {
  const problems: string[] = [];
  try {
    execFileSync(PYTHON, ["-c", "import zmq, google.protobuf"], { stdio: "pipe", timeout: 10_000 });
  } catch (error) {
    problems.push(`${PYTHON} cannot import zmq and google.protobuf (${firstLine(error)})`);
  }
  try {
    execFileSync(PROTOC, ["--version"], { stdio: "pipe", timeout: 10_000 });
  } catch (error) {
    problems.push(`protoc is not runnable (${firstLine(error)})`);
  }
  return problems.length === 0
    ? undefined
    : `Python interop prerequisites missing: ${problems.join("; ")}; ${INSTALL_HINT}`;
}

/** Throws the prerequisites message, for a beforeAll that must fail loudly. */
export function requirePrerequisites(): void {
  const missing = missingPrerequisites();
  if (missing !== undefined) throw new Error(missing);
}

/** Generates example_pb2.py with protoc into a fresh temp folder (never committed); remove() deletes it. */
export function generatePythonCode(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "zpb-interop-py-"));
  execFileSync(PROTOC, [`--proto_path=${dirname(PROTO_FILE)}`, `--python_out=${dir}`, PROTO_FILE], {
    stdio: "pipe",
    timeout: 30_000,
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The JSON line peer.py prints last; uint64 values are decimal strings. */
export interface PeerSummary {
  role: string;
  ok: boolean;
  sent: number;
  received: number;
  problems: string[];
  problemCount: number;
  [field: string]: unknown;
}

/** How a peer process ended. */
export interface PeerResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  summary: PeerSummary | undefined;
  stderr: string;
}

/** A started peer process. */
export interface RunningPeer {
  readonly pid: number;
  /** The endpoint a server peer bound (rejects if the peer exits first or takes too long). */
  ready(): Promise<string>;
  /** How the process ended (rejects if it takes too long; the peer is then killed by killAll). */
  result(): Promise<PeerResult>;
}

/** Starts peer.py processes and makes sure none outlives the test that started it. */
export class PythonPeers {
  private readonly children = new Set<ChildProcess>();

  constructor(
    /** The folder holding protoc's example_pb2.py. */
    private readonly genDir: string,
    /** Upper bound on any wait for a peer, in ms; peer.py's own --timeout should be shorter. */
    private readonly waitMs = 20_000,
  ) {}

  /** Starts `peer.py <args>`; a server peer's `ready` gives its bound endpoint. */
  start(args: string[]): RunningPeer {
    const child = spawn(PYTHON, [PEER_SCRIPT, "--gen", this.genDir, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", () => {}); // a failed spawn has no pid: reported just below, not as an uncaught event
    if (child.pid === undefined) throw new Error(`could not start ${PYTHON} ${PEER_SCRIPT}`);
    this.children.add(child);

    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let summary: PeerSummary | undefined;
    let onReady: (endpoint: string) => void = () => {};
    const readyOrExit = new Promise<string>((resolve) => (onReady = resolve));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const parsed = parseJson(line);
      if (parsed?.event === "ready") onReady(String(parsed.endpoint));
      else if (parsed !== undefined) summary = parsed as PeerSummary;
    });
    const exited = new Promise<PeerResult>((resolve) => {
      child.on("close", (code, signal) => {
        this.children.delete(child);
        resolve({ code, signal, summary, stderr });
      });
    });
    const describe = `peer.py ${args.join(" ")}`;
    const ready = Promise.race([
      readyOrExit,
      exited.then((r) => Promise.reject(new Error(`${describe} exited (${r.code}) before it was ready: ${r.stderr}`))),
    ]);
    ready.catch(() => {}); // client peers never print ready; only a caller that awaits it sees the failure
    return {
      pid: child.pid,
      ready: () => within(ready, this.waitMs, `${describe}: ready`),
      result: () => within(exited, this.waitMs, describe),
    };
  }

  /** Runs a peer to its end (for one-shot commands such as `encode`). */
  run(args: string[]): Promise<PeerResult> {
    return this.start(args).result();
  }

  /** Kills every peer still running, by PID, and waits (bounded) for each to go. */
  async killAll(): Promise<void> {
    await Promise.all(
      [...this.children].map(async (child) => {
        const gone = new Promise<void>((resolve) => child.once("close", () => resolve()));
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGKILL");
        await within(gone, 5_000, `killing peer ${child.pid}`).catch(() => {});
        this.children.delete(child);
      }),
    );
  }
}

/** Rejects with a message naming `what` if `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer | string }).stderr?.toString().trim();
  const text = stderr || (error instanceof Error ? error.message : String(error));
  return text.split("\n").filter(Boolean).at(-1) ?? text;
}
