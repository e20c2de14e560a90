// The real server process (packages/server, 2 workers) driven by Debian's pyzmq + protobuf: a seed-style
// REQ client and a single-frame DEALER client (with and without the empty delimiter) get correct Pongs,
// and bytes that are not an Envelope get the ErrorReply extension, which Python's generated code decodes.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { UINT64_MAX } from "@zpb/proto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PythonPeers, generatePythonCode, requirePrerequisites, within, type PeerResult } from "./python-peer.js";

// The built CLI (`zpb-server`); turbo builds it before this package's tests.
const SERVER_CLI = fileURLToPath(new URL("../../../packages/server/dist/cli.js", import.meta.url));
const HOST = "127.0.0.1";
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const PEER_TIMEOUT_S = "10";
const COUNT = 200;

/** Asks the OS for a free loopback port (closed again at once; the server binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`; rejects if `failed` fires first or time runs out. */
async function waitForListener(port: number, failed: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problem = failed();
    if (problem !== undefined) throw new Error(problem);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: HOST, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on ${HOST}:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One server process for the file; stopped with SIGTERM (then SIGKILL if it hangs), by PID. */
class ServerProcess {
  private output = "";
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly endpoint: string,
  ) {
    for (const stream of [child.stdout!, child.stderr!]) stream.setEncoding("utf8").on("data", (s: string) => (this.output += s));
    this.exited = new Promise((resolve) =>
      child.once("close", (code, signal) => {
        this.exit = { code, signal };
        resolve();
      }),
    );
  }

  static async start(): Promise<ServerProcess> {
    const [front, echo] = [await freePort(), await freePort()];
    const endpoint = `tcp://${HOST}:${front}`;
    const child = spawn(process.execPath, [SERVER_CLI, "--bind", endpoint, "--echo", `tcp://${HOST}:${echo}`, "--workers", "2"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = new ServerProcess(child, endpoint);
    try {
      const exitedEarly = () => server.exit && `server exited (${JSON.stringify(server.exit)}) before listening:\n${server.output}`;
      await waitForListener(front, exitedEarly, START_TIMEOUT_MS);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** What the server printed, for failure messages. */
  get log(): string {
    return this.output;
  }

  /** Sends SIGTERM (SIGKILL if it outlives STOP_TIMEOUT_MS) and resolves to how the process ended. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (this.exit === undefined) {
      process.kill(this.child.pid!, "SIGTERM");
      try {
        await within(this.exited, STOP_TIMEOUT_MS, "server stop after SIGTERM");
      } catch {
        process.kill(this.child.pid!, "SIGKILL");
        await within(this.exited, STOP_TIMEOUT_MS, "server stop after SIGKILL").catch(() => {});
      }
    }
    return this.exit;
  }
}

const serverBuilt = existsSync(SERVER_CLI);

describe.skipIf(!serverBuilt)("Python peers against the real zpb server (2 workers)", { timeout: 40_000 }, () => {
  let generated: ReturnType<typeof generatePythonCode> | undefined;
  let peers: PythonPeers;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    requirePrerequisites();
    generated = generatePythonCode();
    peers = new PythonPeers(generated.dir);
    server = await ServerProcess.start();
  }, START_TIMEOUT_MS + STOP_TIMEOUT_MS);
  afterEach(() => peers?.killAll());
  afterAll(async () => {
    await server?.stop();
    generated?.remove();
  }, 2 * STOP_TIMEOUT_MS + 1_000);

  /** Asserts peer.py ran clean (exit 0, no problems), showing the server's log when it did not. */
  function expectClean(result: PeerResult) {
    expect(result.summary, `peer.py stderr: ${result.stderr}\nserver log:\n${server?.log}`).toMatchObject({ ok: true, problems: [] });
    expect(result.code).toBe(0);
    return result.summary!;
  }

  const base = () => ["--connect", server!.endpoint, "--count", String(COUNT), "--timeout", PEER_TIMEOUT_S];

  it("a seed-style Python REQ client gets Pong{seq} for every Ping, up to 2^64-1", async () => {
    const first = UINT64_MAX - BigInt(COUNT) + 1n;
    const result = await peers.run(["req", ...base(), "--start-seq", first.toString()]);
    expect(expectClean(result)).toMatchObject({ sent: COUNT, received: COUNT });
  });

  for (const delimiter of [false, true]) {
    it(`a Python DEALER ${delimiter ? "with" : "without"} the empty delimiter gets every Pong, in its own shape`, async () => {
      // 50 in flight over 2 workers: replies may come back in any order; peer.py matches each seq exactly once
      // and checks the reply carries the same frames before the payload that the request did.
      const args = ["dealer", ...base(), "--window", "50", ...(delimiter ? ["--delimiter"] : [])];
      expect(expectClean(await peers.run(args))).toMatchObject({ sent: COUNT, received: COUNT, delimiter });
    });
  }

  // ff ff ff ff: a field-31 tag with an invalid wire type, undecodable by any protobuf implementation.
  const garbage = "ffffffff";

  it("Python REQ garbage bytes → an ErrorReply (field 3) that Python's generated code decodes", async () => {
    const result = await peers.run(["req", "--connect", server!.endpoint, "--garbage", garbage, "--count", "3", "--timeout", PEER_TIMEOUT_S]);
    const summary = expectClean(result);
    expect(summary.errorReplies).toHaveLength(3);
    expect(summary.errorReplies).toEqual(Array(3).fill(expect.objectContaining({ case: "error", codeName: "CODE_DECODE" })));
  });

  for (const delimiter of [false, true]) {
    it(`Python DEALER ${delimiter ? "with" : "without"} delimiter, garbage bytes → ErrorReply, and the server keeps serving`, async () => {
      const bad = await peers.run([
        "dealer", "--connect", server!.endpoint, "--garbage", garbage, "--count", "3", "--timeout", PEER_TIMEOUT_S,
        ...(delimiter ? ["--delimiter"] : []),
      ]);
      expect(expectClean(bad).errorReplies).toEqual(Array(3).fill(expect.objectContaining({ case: "error", codeName: "CODE_DECODE" })));
      expect(expectClean(await peers.run(["req", ...base()]))).toMatchObject({ received: COUNT });
    });
  }

  // Last on purpose: after all the Python traffic above, SIGTERM must end the server cleanly (no abort).
  it("the server exits 0 on SIGTERM after serving the Python peers", async () => {
    expect(await server!.stop(), server!.log).toEqual({ code: 0, signal: null });
  }, 2 * STOP_TIMEOUT_MS + 1_000);
});
