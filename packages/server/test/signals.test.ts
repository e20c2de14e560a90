// SIGINT/SIGTERM on a real server process: requests already being handled get their replies, requests
// that arrive while stopping get CODE_UNAVAILABLE, every socket closes, and the process exits 0 — no
// Napi::Error abort, no hang.
import { afterEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { ErrorCode, envelopeCodec, ping, pong } from "@zpb/proto";
import { CLI, FAULTY_HANDLER, dealer, reqEnvelope, sleep } from "./support.js";

interface Spawned {
  child: ChildProcess;
  endpoints: { main: string[]; echo?: string };
  stdout: string[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

/** Starts the CLI on ephemeral ports and waits for its startup line (JSON logs name the bound endpoints). */
async function spawnServer(args: string[]): Promise<Spawned> {
  const child = spawn(
    process.execPath,
    [CLI, "--bind", "tcp://127.0.0.1:*", "--echo", "tcp://127.0.0.1:*", "--log-format", "json", ...args],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
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
    void exit.then(() => reject(new Error(`server exited early: ${stderr.join("")}`)));
  });
  return { child, endpoints, stdout, stderr, exit };
}

async function exitedWithin(
  spawned: Spawned,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`server still running ${ms} ms after the signal`);
  });
  return Promise.race([spawned.exit, timeout]);
}

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

describe.each(["SIGTERM", "SIGINT"] as const)("%s", (signal) => {
  it("lets in-flight replies out, refuses new requests, and exits 0", async () => {
    const server = await spawnServer(["--workers", "2", "--handler", FAULTY_HANDLER, "--drain-timeout", "3000"]);
    const endpoint = server.endpoints.main[0]!;
    expect(await reqEnvelope(endpoint, ping(1000n))).toEqual(pong(1000n));

    const client = dealer(endpoint, 10_000);
    try {
      // Two slow requests (300 ms each) in flight, one per worker, when the signal arrives.
      await client.send(envelopeCodec.encode(ping(13n)));
      await client.send(envelopeCodec.encode(ping(13n)));
      await sleep(100);
      server.child.kill(signal);
      await sleep(50);
      // Sent while stopping: refused, but answered.
      await client.send(envelopeCodec.encode(ping(2000n)));
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push(envelopeCodec.decode((await client.receive())[0]!));
      expect(replies.filter((r) => r.payload.case === "pong" && r.payload.value.seq === 13n)).toHaveLength(2);
      expect(replies.find((r) => r.payload.case === "error")?.payload).toMatchObject({
        value: { code: ErrorCode.CODE_UNAVAILABLE, seq: 2000n },
      });
    } finally {
      client.close();
    }

    const { code, signal: killedBy } = await exitedWithin(server, 10_000);
    const stderr = server.stderr.join("");
    expect(stderr).not.toContain("Napi::Error");
    expect(killedBy).toBeNull();
    expect(code).toBe(0);
    expect(server.stdout.some((line) => line.includes("zpb server stopped"))).toBe(true);
  });
});

describe("a real server process", () => {
  it("stops at once when idle, and logs counters on SIGUSR2", async () => {
    const server = await spawnServer(["--workers", "2", "--stats-interval", "0"]);
    expect(await reqEnvelope(server.endpoints.main[0]!, ping(5n))).toEqual(pong(5n));
    server.child.kill("SIGUSR2");
    const deadline = Date.now() + 5000;
    while (!server.stdout.some((line) => line.includes('"requests":1')) && Date.now() < deadline) await sleep(20);
    expect(server.stdout.some((line) => line.includes('"requests":1'))).toBe(true);
    const started = Date.now();
    server.child.kill("SIGTERM");
    const { code } = await exitedWithin(server, 10_000);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops cleanly after a worker died and was replaced", async () => {
    const server = await spawnServer(["--workers", "2", "--handler", FAULTY_HANDLER]);
    const reply = await reqEnvelope(server.endpoints.main[0]!, ping(11n)); // process.exit(7) in the handler
    expect(reply.payload.case).toBe("error");
    const deadline = Date.now() + 5000;
    while (!server.stdout.some((line) => line.includes("replaced and serving")) && Date.now() < deadline)
      await sleep(20);
    expect(await reqEnvelope(server.endpoints.main[0]!, ping(6n))).toEqual(pong(6n));
    server.child.kill("SIGINT");
    const { code } = await exitedWithin(server, 10_000);
    expect(server.stderr.join("")).not.toContain("Napi::Error");
    expect(code).toBe(0);
  });

  it("kills itself, rather than hang or abort, when a worker is stuck in synchronous code", async () => {
    const server = await spawnServer(["--workers", "2", "--handler", FAULTY_HANDLER, "--drain-timeout", "200"]);
    const client = dealer(server.endpoints.main[0]!);
    try {
      await client.send(envelopeCodec.encode(ping(14n))); // for (;;);
      await sleep(100);
      server.child.kill("SIGTERM");
      const { signal: killedBy } = await exitedWithin(server, 15_000);
      expect(killedBy).toBe("SIGKILL");
      expect(server.stderr.join("")).not.toContain("Napi::Error");
      expect(server.stdout.some((line) => line.includes("did not stop"))).toBe(true);
    } finally {
      client.close();
    }
  });

  it("exits 1 with a readable message when it cannot bind", async () => {
    const first = await spawnServer(["--workers", "1", "--no-echo"]);
    const taken = first.endpoints.main[0]!;
    const child = spawn(
      process.execPath,
      [CLI, "--bind", taken, "--no-echo", "--workers", "1", "--log-format", "json"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(out).toContain("could not start");
    first.child.kill("SIGTERM");
    expect((await exitedWithin(first, 10_000)).code).toBe(0);
  });
});
