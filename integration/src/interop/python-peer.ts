// Runs integration/python/peer.py — Debian's pyzmq + protobuf with code protoc generates from our own
// example.proto — as a separate process, so the tests can drive our sockets from a stack we did not write.
import { execFileSync } from "node:child_process";
import { Child, within } from "@zpb/test-support";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

/** Starts peer.py processes (through @zpb/test-support's Child) and makes sure none outlives its test. */
export class PythonPeers {
  private readonly children = new Set<Child>();

  constructor(
    /** The folder holding protoc's example_pb2.py. */
    private readonly genDir: string,
    /** Upper bound on any wait for a peer, in ms; peer.py's own --timeout should be shorter. */
    private readonly waitMs = 20_000,
  ) {}

  /** Starts `peer.py <args>`; a server peer's `ready` gives its bound endpoint. */
  start(args: string[]): RunningPeer {
    // The bound on the process is the safety net; result() and ready() fail sooner, after waitMs.
    const child = new Child([PEER_SCRIPT, "--gen", this.genDir, ...args], {
      command: PYTHON,
      boundMs: 3 * this.waitMs,
    });
    if (child.pid < 0) throw new Error(`could not start ${PYTHON} ${PEER_SCRIPT}`);
    this.children.add(child);
    void child.done.finally(() => this.children.delete(child)).catch(() => {});
    const describe = `peer.py ${args.join(" ")}`;
    const ready = async (): Promise<string> => {
      await child.waitFor(READY_LINE, this.waitMs).catch((error: Error) => {
        throw new Error(`${describe} was not ready: ${error.message}`);
      });
      const line = jsonLines(child.stdout).find((parsed) => parsed.event === "ready");
      return String(line!.endpoint);
    };
    const result = async (): Promise<PeerResult> => {
      const ended = await within(child.done, `${describe} to end`, this.waitMs);
      const summary = jsonLines(ended.stdout)
        .filter((parsed) => parsed.event !== "ready")
        .at(-1) as PeerSummary | undefined;
      return { code: ended.code, signal: ended.signal, summary, stderr: ended.stderr };
    };
    return { pid: child.pid, ready, result };
  }

  /** Runs a peer to its end (for one-shot commands such as `encode`). */
  run(args: string[]): Promise<PeerResult> {
    return this.start(args).result();
  }

  /** Kills every peer still running, by PID, and waits for each to go. */
  async killAll(): Promise<void> {
    await Promise.all(
      [...this.children].map(async (child) => {
        child.kill("SIGKILL");
        await child.done.catch(() => {});
        this.children.delete(child);
      }),
    );
  }
}

/** peer.py's first line when it serves: `{"event": "ready", "endpoint": …}`. */
const READY_LINE = /"event":\s*"ready"/;

/** Every line of `text` that parses as a JSON object. */
function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split("\n").flatMap((line) => {
    const parsed = parseJson(line);
    return parsed === undefined ? [] : [parsed];
  });
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
