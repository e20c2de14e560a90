// SIGINT/SIGTERM on a real server process: requests already being handled get their replies, requests
// that arrive while stopping get CODE_UNAVAILABLE, every socket closes, and the process exits 0 — no
// Napi::Error abort, no hang.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { ErrorCode, envelopeCodec, ping, pong } from "@zpb/proto";
import { FAULTY_HANDLER, dealer, reqEnvelope, sleep } from "./test-support/server.js";
import { exitedWithin, runCli, spawnServer } from "./test-support/cli-process.js";

const REPORT_HANDLERS = fileURLToPath(
  new URL("./test-support/fixtures/report-handlers-at-endpoints.mjs", import.meta.url),
);

killChildrenAfterEach();

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
    const stderr = server.child.stderr;
    expect(stderr).not.toContain("Napi::Error");
    expect(killedBy).toBeNull();
    expect(code).toBe(0);
    expect(server.stdout.some((line) => line.includes("zpb server stopped"))).toBe(true);
  });
});

describe("a real server process", () => {
  it("handles its signals before it logs its endpoints, so a script may signal on seeing them", async () => {
    const server = await spawnServer(["--workers", "1"], {}, ["--import", REPORT_HANDLERS]);
    expect(server.child.stderr).toContain("signals handled at the endpoints line: SIGINT SIGTERM SIGUSR2\n");
    server.child.kill("SIGTERM");
    expect((await exitedWithin(server, 15_000)).code).toBe(0);
  });

  it("stops at once when idle, and logs counters on SIGUSR2", async () => {
    // A long drain deadline: an idle server must not wait it out (a stop that always did would take 10 s).
    const server = await spawnServer(["--workers", "2", "--stats-interval", "0", "--drain-timeout", "10000"]);
    expect(await reqEnvelope(server.endpoints.main[0]!, ping(5n))).toEqual(pong(5n));
    server.child.kill("SIGUSR2");
    const deadline = Date.now() + 5000;
    while (!server.stdout.some((line) => line.includes('"requests":1')) && Date.now() < deadline) await sleep(20);
    const counters = server.stdout.find((line) => line.includes('"requests":1'));
    expect(counters).toBeDefined();
    // JSON logs carry numbers as numbers: each worker's share is a fraction, and they sum to 1.
    const { share } = JSON.parse(counters!) as { share: unknown[] };
    expect(share).toHaveLength(2);
    for (const s of share) expect(typeof s).toBe("number");
    expect((share as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1);
    const started = Date.now();
    server.child.kill("SIGTERM");
    const { code } = await exitedWithin(server, 15_000);
    expect(code).toBe(0);
    // Typically ~100 ms; the bound leaves room for a loaded machine and stays far below the 10 s deadline.
    expect(Date.now() - started).toBeLessThan(4000);
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
    expect(server.child.stderr).not.toContain("Napi::Error");
    expect(code).toBe(0);
  });

  it("interrupts a worker stuck in synchronous code when it stops, answers its request, and exits 0", async () => {
    // --stall-timeout 0: no watchdog while serving, so only the stop itself can end the stuck worker.
    const server = await spawnServer([
      "--workers",
      "2",
      "--handler",
      FAULTY_HANDLER,
      "--drain-timeout",
      "200",
      "--stall-timeout",
      "0",
    ]);
    const client = dealer(server.endpoints.main[0]!);
    try {
      await client.send(envelopeCodec.encode(ping(14n))); // for (;;);
      await sleep(100);
      server.child.kill("SIGTERM");
      const reply = envelopeCodec.decode((await client.receive())[0]!);
      expect(reply.payload).toMatchObject({ case: "error", value: { code: ErrorCode.CODE_DEADLINE, seq: 14n } });
      const { code, signal: killedBy } = await exitedWithin(server, 15_000);
      expect(killedBy).toBeNull();
      expect(code).toBe(0);
      expect(server.child.stderr).not.toContain("Napi::Error");
      expect(server.stdout.some((line) => line.includes("stuck for"))).toBe(true);
    } finally {
      client.close();
    }
  });

  it("exits 1 with a readable message when it cannot bind", async () => {
    const first = await spawnServer(["--workers", "1", "--no-echo"]);
    const taken = first.endpoints.main[0]!;
    const { code, stdout: out } = await runCli([
      "--bind",
      taken,
      "--no-echo",
      "--workers",
      "1",
      "--log-format",
      "json",
    ]);
    expect(code).toBe(1);
    expect(out).toContain("could not start");
    first.child.kill("SIGTERM");
    expect((await exitedWithin(first, 10_000)).code).toBe(0);
  });
});
