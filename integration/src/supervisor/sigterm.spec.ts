// What a supervisor does to the documented start command (scripts/serve, in the root README): run it as the
// top process, send SIGTERM to that process only, and expect the server to drain and exit 0 with nothing left
// behind — no orphaned server holding the ports, as `npx → sh → pnpm → node` used to leave.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { envelopeCodec, ping } from "@zpb/proto";
import { freePort } from "@zpb/test-support";

const SERVE = fileURLToPath(new URL("../../../scripts/serve", import.meta.url));
/** The endpoints the tests' servers bind: unique per test, so they mark our processes and no one else's. */
const markers: string[] = [];

afterEach(() => {
  // Anything still alive is a failure already reported; end it (by PID) so it cannot outlive the run.
  for (const marker of markers.splice(0)) for (const pid of processesMentioning(marker)) tryKill(pid);
});

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone already
  }
}

/** PIDs of live processes whose command line contains `text`. */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1];
      if (cmdline.includes(text) && state !== "Z") found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

describe("the documented start command under a supervisor", () => {
  it("SIGTERM to its top process drains the server, which exits 0 and leaves no process behind", async () => {
    const port = await freePort();
    const endpoint = `tcp://127.0.0.1:${port}`;
    // The endpoint is our marker: any process still carrying it afterwards was left behind.
    const child = spawn(SERVE, ["--bind", endpoint, "--no-echo", "--workers", "2", "--log-format", "json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    markers.push(endpoint);
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal })),
    );

    const deadline = Date.now() + 120_000; // the script builds first (a turbo cache hit when the tests built it)
    while (!stdout.includes('"endpoints"')) {
      if (Date.now() > deadline) throw new Error(`server not up: ${stdout}\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The server runs as the script's own process (exec), so its PID is the one a supervisor knows.
    expect(processesMentioning(endpoint)).toEqual([child.pid]);

    const req = new zmq.Request({ linger: 0, receiveTimeout: 10_000 });
    req.connect(endpoint);
    await req.send(envelopeCodec.encode(ping(7n)));
    const [reply] = await req.receive();
    req.close();
    expect(envelopeCodec.decode(reply!).payload).toEqual({ case: "pong", value: { seq: 7n } });

    child.kill("SIGTERM");
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("still running 20 s after SIGTERM")), 20_000),
      ),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stdout).toContain("SIGTERM: stopping");
    expect(stdout).toContain("zpb server stopped");
    expect(processesMentioning(endpoint)).toEqual([]);
  }, 180_000);
});
