// The fault suite: a real zpb-server process against hostile peers and broken handlers, one block per
// attack of the README's "Hardening" table. Each test is bounded in time and asserts what a production
// user needs: the process's exit code, the replies every well-behaved client still gets, the refusals
// counted and logged, and memory read from /proc.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ErrorCode, envelopeCodec, ping, pong, type Envelope } from "@zpb/proto";
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { exitedWithin, logged, spawnServer, type Spawned } from "./test-support/cli-process.js";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { halfOpenConnections, multipartFlood, rawDealer, slowReaders } from "@zpb/test-support";
import { dealer, reqEnvelope, sleep } from "./test-support/server.js";

const HOSTILE_HANDLER = fileURLToPath(new URL("./test-support/fixtures/hostile-handler.mjs", import.meta.url));
const EXITING_ECHO = fileURLToPath(new URL("./test-support/fixtures/exiting-echo.mjs", import.meta.url));
const HANG = 15n;
const HANG_REPORTS_ABORT = 16n;
const STUCK_ASYNC = 17n;
const STUCK_SYNC = 18n;
const HOG_SYNC = 19n;
const HOG_ASYNC = 20n;
const LEAK = 21n;
const EXIT = 22n;
const BIG_REPLY = 23n;

killChildrenAfterEach();

/** Resident memory of a process in MiB, from /proc. */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Math.round(Number(match![1]) / 1024);
}

/** The counters the server logs on SIGUSR2 (JSON logs): the last such line after asking. */
interface Counters {
  requests: number;
  replies: number;
  errors: Record<string, number>;
  refusals: Record<string, number>;
}

async function countersOf(server: Spawned): Promise<Counters> {
  const before = server.stdout.length;
  server.child.kill("SIGUSR2");
  const deadline = Date.now() + 5000;
  for (;;) {
    const line = server.stdout.slice(before).find((l) => l.includes('"refusals"'));
    if (line !== undefined) return JSON.parse(line) as Counters;
    if (Date.now() > deadline || !server.child.running)
      throw new Error(`no counters logged after SIGUSR2\n${server.child.transcript()}`);
    await sleep(20);
  }
}

function errorOf(reply: Envelope): { code: number; seq: bigint; message: string } {
  if (reply.payload.case !== "error") throw new Error(`expected an error reply, got ${String(reply.payload.case)}`);
  return reply.payload.value;
}

/**
 * A client that sends `payload` `requests` times and never reads, until the server has answered them all
 * (replies that then wait unread in the kernel's buffers and the front). Close it to let them go.
 */
async function nonReader(server: Spawned, payload: Uint8Array, requests: number): Promise<zmq.Dealer> {
  const repliesBefore = (await countersOf(server)).replies;
  const hog = new zmq.Dealer({ linger: 0, receiveHighWaterMark: 1, sendHighWaterMark: 0 });
  hog.connect(server.endpoints.main[0]!);
  for (let i = 0; i < requests; i++) await hog.send([Buffer.alloc(0), payload]);
  const deadline = Date.now() + 60_000;
  while ((await countersOf(server)).replies < repliesBefore + requests && Date.now() < deadline) await sleep(250);
  return hog;
}

/** Sends `exitRequest` (which makes the handler call process.exit) and expects the worker replaced. */
async function endAWorker(server: Spawned, exitRequest: Uint8Array): Promise<void> {
  const replaced = server.stdout.filter((line) => line.includes("replaced and serving")).length;
  const killer = dealer(server.endpoints.main[0]!, 10_000);
  try {
    await killer.send([Buffer.alloc(0), exitRequest]);
    await killer.receive();
  } finally {
    killer.close();
  }
  expect(await logged(server, "replaced and serving", 20_000, replaced + 1)).toBe(true);
}

/** Stops the server with SIGTERM and expects a clean exit 0 within `ms`. */
async function stopsCleanly(server: Spawned, ms = 10_000): Promise<void> {
  server.child.kill("SIGTERM");
  const { code, signal } = await exitedWithin(server, ms);
  expect(server.child.stderr).not.toContain("Napi::Error");
  expect({ code, signal }).toEqual({ code: 0, signal: null });
}

describe("SIGTERM while a DEALER keeps sending (window 200)", () => {
  const DRAIN = 500;
  const LINGER = 500;
  // What "a small constant" may add on this loaded 2-core machine; measured: stops take drain + ~100 ms.
  const CONSTANT = 2500;

  it("exits 0 within drain + linger + a small constant, every time", { timeout: 120_000 }, async () => {
    const stops: number[] = [];
    for (let run = 0; run < 6; run++) {
      const server = await spawnServer([
        "--workers",
        "2",
        "--drain-timeout",
        String(DRAIN),
        "--linger",
        String(LINGER),
      ]);
      const client = new zmq.Dealer({ linger: 0, sendTimeout: 100, receiveTimeout: 100 });
      client.connect(server.endpoints.main[0]!);
      let sending = true;
      let inFlight = 0;
      const payload = envelopeCodec.encode(ping(1n));
      const sender = (async () => {
        while (sending) {
          if (inFlight >= 200) {
            await sleep(0);
            continue;
          }
          try {
            await client.send(payload);
            inFlight++;
          } catch {
            await sleep(5);
          }
        }
      })();
      const reader = (async () => {
        while (sending) {
          try {
            await client.receive();
            inFlight--;
          } catch {
            inFlight = 0; // nothing for 100 ms: the server is going; keep sending regardless
          }
        }
      })();
      await sleep(500);
      const signalled = performance.now();
      server.child.kill("SIGTERM");
      const exit = await exitedWithin(server, DRAIN + LINGER + CONSTANT).finally(() => {
        sending = false;
      });
      stops.push(Math.round(performance.now() - signalled));
      await Promise.all([sender, reader]);
      client.close();
      expect(server.child.stderr).not.toContain("Napi::Error");
      expect(exit).toEqual({ code: 0, signal: null });
    }
    console.info(`stop under load, ms after SIGTERM: ${stops.join(", ")}`);
  });
});

describe("handlers whose promise never settles", () => {
  it("answers a few hundred hung requests with CODE_DEADLINE, and new requests at once meanwhile", async () => {
    const TIMEOUT = 2000;
    const server = await spawnServer([
      "--workers",
      "2",
      "--handler",
      HOSTILE_HANDLER,
      "--handler-timeout",
      String(TIMEOUT),
      "--stats-interval",
      "0",
    ]);
    const endpoint = server.endpoints.main[0]!;
    const client = dealer(endpoint, TIMEOUT + 8000);
    try {
      for (let i = 0; i < 300; i++) await client.send(envelopeCodec.encode(ping(HANG)));
      await client.send(envelopeCodec.encode(ping(HANG_REPORTS_ABORT)));
      await sleep(200);
      const asked = performance.now();
      expect(await reqEnvelope(endpoint, ping(7n))).toEqual(pong(7n));
      const answeredIn = performance.now() - asked;
      expect(answeredIn).toBeLessThan(TIMEOUT / 2);
      const replies: Array<{ code: number; seq: bigint }> = [];
      for (let i = 0; i < 301; i++) replies.push(errorOf(envelopeCodec.decode((await client.receive())[0]!)));
      expect(replies.filter((r) => r.code === ErrorCode.CODE_DEADLINE)).toHaveLength(301);
      const deadline = Date.now() + 5000;
      while (!server.child.stderr.includes(`aborted ${HANG_REPORTS_ABORT}`) && Date.now() < deadline) await sleep(20);
      expect(server.child.stderr).toContain(`aborted ${HANG_REPORTS_ABORT}`);
      expect((await countersOf(server)).errors.deadlines).toBe(301);
      console.info(`a new request behind 301 hung ones was answered in ${answeredIn.toFixed(1)} ms`);
    } finally {
      client.close();
    }
    await stopsCleanly(server);
  });
});

describe.each([
  ["in a sync handler call", STUCK_SYNC],
  ["in a continuation, with a receive pending", STUCK_ASYNC],
])("a worker stuck in synchronous code (%s)", (_where, stuckSeq) => {
  it("is interrupted and replaced; what it held is answered, none of it lost", async () => {
    const server = await spawnServer(["--workers", "1", "--handler", HOSTILE_HANDLER, "--stall-timeout", "500"]);
    const endpoint = server.endpoints.main[0]!;
    const client = dealer(endpoint, 10_000);
    try {
      const queued = [100n, 101n, 102n, 103n, 104n];
      await client.send(envelopeCodec.encode(ping(stuckSeq)));
      for (const seq of queued) await client.send(envelopeCodec.encode(ping(seq)));
      const answers = new Map<bigint, Envelope>();
      for (let i = 0; i <= queued.length; i++) {
        const reply = envelopeCodec.decode((await client.receive())[0]!);
        if (reply.payload.case !== undefined) answers.set(reply.payload.value.seq, reply);
      }
      expect(errorOf(answers.get(stuckSeq)!).code).toBe(ErrorCode.CODE_DEADLINE);
      for (const seq of queued) {
        const reply = answers.get(seq)!;
        if (reply.payload.case === "error") expect(reply.payload.value.code).toBe(ErrorCode.CODE_UNAVAILABLE);
        else expect(reply).toEqual(pong(seq));
      }
    } finally {
      client.close();
    }
    expect(await logged(server, `ping seq ${stuckSeq}`)).toBe(true);
    expect(await logged(server, "replaced and serving")).toBe(true);
    expect(await reqEnvelope(endpoint, ping(5n))).toEqual(pong(5n));
    expect((await countersOf(server)).refusals.stalls).toBe(1);
    await stopsCleanly(server);
  });
});

describe("two clients sending 64 KiB to echo and never reading", () => {
  it("keep the server's memory bounded while others are served", { timeout: 60_000 }, async () => {
    const server = await spawnServer(["--workers", "2"]);
    const pid = server.child.pid;
    const attack = slowReaders(server.endpoints.echo!, 2, new Uint8Array(64 * 1024));
    const samples: number[] = [];
    try {
      for (let second = 0; second < 8; second++) {
        await sleep(1000);
        samples.push(rssMiB(pid));
        const asked = performance.now();
        expect(await reqEnvelope(server.endpoints.main[0]!, ping(BigInt(second)))).toEqual(pong(BigInt(second)));
        expect(performance.now() - asked).toBeLessThan(1000);
      }
    } finally {
      await attack.stop();
    }
    console.info(`RSS (MiB) each second under 2 slow readers: ${samples.join(", ")}; they sent ${attack.sent()}`);
    // Before the bound: 84 → 2,361 MiB in 8 s and growing. The README states this bound, 640 MiB.
    expect(Math.max(...samples)).toBeLessThan(640);
    await stopsCleanly(server);
  });
});

// A soak, not in the default run for its length (ZPB_SOAK=1 runs it). Measured: 2 of 6 stops aborted
// before the stop order below; with it, 0 in 20 here, then 1 in a fresh-clone CI run; since workers end only
// once zeromq.js has handed back their replies (sent-frames.ts), 0 in 32.
describe.runIf(process.env.ZPB_SOAK === "1")("SIGTERM while clients that never read are still connected", () => {
  it("exits 0 every time, proxy and JS forwarding alike", { timeout: 120_000 }, async () => {
    // Their replies wait in the front's queues when the server stops: glibc found the heap corrupted as the
    // process ended (README "Shutdown"), as zeromq.js handed those replies back to worker threads that had
    // already ended.
    for (const forwarder of ["proxy", "js", "proxy", "js"]) {
      const server = await spawnServer(["--workers", "2", "--forwarder", forwarder, "--drain-timeout", "300"]);
      const attack = slowReaders(server.endpoints.echo!, 2, new Uint8Array(16 * 1024));
      try {
        await sleep(1000);
        await stopsCleanly(server);
      } finally {
        await attack.stop();
      }
    }
  });
});

describe("a handler that calls process.exit while clients flood the server without reading", () => {
  it("costs only its worker, each time: replaced, and the process serves on and stops cleanly", {
    timeout: 60_000,
  }, async () => {
    // Before the dying thread waited two turns of its event loop (guard.ts), an operation zeromq.js had
    // deferred ran as the thread ended and aborted the process: 2 runs in 3 (exit 134, Napi::Error).
    const server = await spawnServer(["--workers", "2", "--handler", HOSTILE_HANDLER]);
    const endpoint = server.endpoints.main[0]!;
    const attack = slowReaders(endpoint, 2, envelopeCodec.encode(ping(1n)));
    const killer = dealer(endpoint);
    try {
      for (let i = 0; i < 4; i++) {
        await sleep(500);
        await killer.send(envelopeCodec.encode(ping(EXIT)));
      }
      await sleep(1000);
      expect(server.child.running).toBe(true);
      expect(await reqEnvelope(endpoint, ping(5n))).toEqual(pong(5n));
    } finally {
      killer.close();
      await attack.stop();
    }
    // Two deaths at least (which slots the exits reach depends on how libzmq spreads the flood).
    expect(await logged(server, "process.exit(3) in the worker", 10_000, 2)).toBe(true);
    await stopsCleanly(server);
    // An exit request that reaches a worker already dying is refused (CODE_UNAVAILABLE), not run.
    const deaths = server.stdout.filter((line) => line.includes("process.exit(3) in the worker")).length;
    expect(deaths).toBeGreaterThanOrEqual(2);
  });
});

describe("workers that die while zeromq.js still holds replies they sent (over 128 bytes, JS forwarding)", () => {
  it("end only once their frames are handed back: the process lives through every replacement", {
    timeout: 90_000,
  }, async () => {
    // zeromq.js hands a sent frame of over 128 bytes back to the sending thread's addon instance when libzmq
    // releases it; with JS forwarding that happens when the main thread collects its Buffer. A thread that
    // ended before then: glibc aborted or the process segfaulted within two replacements, 2 runs of 2.
    const server = await spawnServer(["--workers", "2", "--forwarder", "js", "--handler", HOSTILE_HANDLER]);
    const client = dealer(server.endpoints.main[0]!, 10_000);
    const REQUESTS = 500;
    try {
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < REQUESTS; i++) await client.send([Buffer.alloc(0), envelopeCodec.encode(ping(BIG_REPLY))]);
        for (let i = 0; i < REQUESTS; i++) {
          const [, reply] = await client.receive();
          expect(errorOf(envelopeCodec.decode(reply!)).seq).toBe(BIG_REPLY);
        }
        const replaced = server.stdout.filter((line) => line.includes("replaced and serving")).length;
        await client.send([Buffer.alloc(0), envelopeCodec.encode(ping(EXIT))]);
        // The request that made the handler exit is answered too (an error reply).
        const [, exitReply] = await client.receive();
        expect(errorOf(envelopeCodec.decode(exitReply!)).seq).toBe(EXIT);
        expect(await logged(server, "replaced and serving", 20_000, replaced + 1)).toBe(true);
        expect(server.child.running, server.child.stderr).toBe(true);
      }
    } finally {
      client.close();
    }
    await stopsCleanly(server);
    expect(server.child.stderr).not.toMatch(/corrupted|double free|Segmentation/);
  });
});

describe("workers that die while clients that never read hold their replies (the default proxy)", () => {
  it("are replaced at once, and their threads end when those clients go", { timeout: 90_000 }, async () => {
    // Each dead thread waits until its replies, queued in the front for a client that does not read them,
    // are released. With room for one such thread only, the second death's replacement found no thread, the
    // proxy blocked on a backend with no worker, and the service stopped answering for good.
    const server = await spawnServer(["--workers", "1", "--no-echo", "--handler", HOSTILE_HANDLER]);
    const endpoint = server.endpoints.main[0]!;
    const hogs: zmq.Dealer[] = [];
    try {
      for (let round = 0; round < 2; round++) {
        // More replies than the kernel's buffers hold: the rest wait in the front (up to --reply-hwm).
        hogs.push(await nonReader(server, envelopeCodec.encode(ping(BIG_REPLY)), 20_000));
        await endAWorker(server, envelopeCodec.encode(ping(EXIT)));
        expect(await reqEnvelope(endpoint, ping(30n + BigInt(round)))).toEqual(pong(30n + BigInt(round)));
      }
    } finally {
      for (const hog of hogs) hog.close();
    }
    expect(await reqEnvelope(endpoint, ping(40n))).toEqual(pong(40n));
    await stopsCleanly(server);
    expect(server.child.stderr).not.toMatch(/corrupted|double free|Segmentation/);
  });
});

describe("SIGTERM while a dead worker's thread still waits on a client that never reads", () => {
  it("exits 0: the stop waits for that thread on a timer", { timeout: 90_000 }, async () => {
    // piscina's threads do not keep Node's event loop alive: while the stop waited for such a thread, the
    // loop ran empty and Node ended the process with exit 13 (an unsettled top-level await), 2 runs of 2.
    const server = await spawnServer(["--workers", "1", "--no-echo", "--handler", EXITING_ECHO]);
    const hog = await nonReader(server, Buffer.alloc(16 * 1024, 1), 3000);
    try {
      await endAWorker(server, Buffer.from("exit"));
      // Long enough for the dead thread's waits to have grown apart (sent-frames.ts).
      await sleep(2500);
      await stopsCleanly(server);
    } finally {
      hog.close();
    }
  });
});

describe("clients that never read, behind --forwarder js", () => {
  it("lose their replies past --reply-hwm, counted and logged; others are served", { timeout: 60_000 }, async () => {
    const server = await spawnServer(["--workers", "2", "--forwarder", "js", "--reply-hwm", "50"]);
    const attack = slowReaders(server.endpoints.echo!, 2, new Uint8Array(16 * 1024));
    try {
      expect(await logged(server, "replies wait unread for it (--reply-hwm)", 20_000)).toBe(true);
      expect(await reqEnvelope(server.endpoints.main[0]!, ping(1n))).toEqual(pong(1n));
    } finally {
      await attack.stop();
    }
    const { refusals } = await countersOf(server);
    expect(refusals.slowConsumerDrops).toBeGreaterThan(0);
    await stopsCleanly(server);
  });
});

/**
 * Frames per flood message. The row is 1,000,000 (the README's figures come from runs with
 * HOSTILE_FLOOD_FRAMES=1000000); by default a quarter of that, so this test does not starve the other test
 * files vitest runs beside it on a small machine.
 */
const FLOOD_FRAMES = Number(process.env.HOSTILE_FLOOD_FRAMES ?? 250_000);

describe("messages of many one-byte frames (the multipart flood)", () => {
  it("do not take the server down: others are served meanwhile, and it stops cleanly", {
    timeout: 90_000,
  }, async () => {
    const server = await spawnServer(["--workers", "2"]);
    const pid = server.child.pid;
    const sent = await Promise.all([0, 1, 2, 3].map(() => multipartFlood(server.endpoints.main[0]!, 1, FLOOD_FRAMES)));
    expect(sent.map((s) => s.written)).toEqual([1, 1, 1, 1]);
    // For 20 s: sample memory, and check that a well-behaved client is still answered.
    let peak = rssMiB(pid);
    let answeredDuring = 0;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      peak = Math.max(peak, rssMiB(pid));
      try {
        if ((await reqEnvelope(server.endpoints.main[0]!, ping(9n))).payload.case === "pong") answeredDuring++;
      } catch {
        // Both workers busy with a flood message: not answered within 5 s.
      }
      await sleep(100);
    }
    const { errors, refusals } = await countersOf(server);
    console.info(
      `4 × ${FLOOD_FRAMES}-frame messages: RSS peak ${peak} MiB, ${rssMiB(pid)} MiB after 20 s; a client was answered ` +
        `${answeredDuring} time(s) meanwhile; badFrames ${errors.badFrames}, stalls ${refusals.stalls}, heapLimit ${refusals.heapLimit}`,
    );
    // libzmq bounds frames, not frames per message (README "Hardening"): this is the measured worst case.
    expect(answeredDuring).toBeGreaterThan(0);
    expect(peak).toBeLessThan(2048);
    expect(await reqEnvelope(server.endpoints.main[0]!, ping(10n))).toEqual(pong(10n));
    await stopsCleanly(server);
  });
});

describe("a message of more one-byte frames than its worker's heap budget holds", () => {
  it("is received, refused and collected: no worker ends, the process lives and answers", {
    timeout: 90_000,
  }, async () => {
    // 400,000 frames become ~80 MiB of Buffers in the worker, over a 64 MiB budget. With V8's limit at the
    // budget, V8 ended the thread inside zeromq.js's receive and the process aborted (exit 134).
    const server = await spawnServer(["--workers", "1", "--worker-heap-mb", "64"]);
    const endpoint = server.endpoints.main[0]!;
    const sent = await multipartFlood(endpoint, 1, 400_000);
    expect(sent.written).toBe(1);
    const deadline = Date.now() + 60_000;
    let counters = await countersOf(server);
    while ((counters.errors.badFrames ?? 0) < 1 && Date.now() < deadline) {
      expect(server.child.running, server.child.stderr).toBe(true);
      await sleep(250);
      counters = await countersOf(server);
    }
    expect(counters.errors.badFrames).toBe(1);
    expect(await reqEnvelope(endpoint, ping(11n))).toEqual(pong(11n));
    // Garbage, not a kept heap: the worker is not replaced for it (heap-watch.ts).
    counters = await countersOf(server);
    expect(counters.refusals.heapLimit).toBe(0);
    expect(server.stdout.some((line) => line.includes("starting a replacement"))).toBe(false);
    await stopsCleanly(server);
  });
});

describe("a handler that fills its worker's heap", () => {
  it("gets its worker replaced and counted; the process and every other request live on", {
    timeout: 60_000,
  }, async () => {
    // One worker: with two, the leak filled both, and the one the heap watch had not yet caught could reach
    // V8's limit inside the final Ping's call — the README's known case of a request left unanswered.
    const server = await spawnServer(["--workers", "1", "--handler", HOSTILE_HANDLER, "--worker-heap-mb", "64"]);
    const endpoint = server.endpoints.main[0]!;
    const client = dealer(endpoint, 20_000);
    try {
      await client.send(envelopeCodec.encode(ping(HOG_SYNC)));
      expect(await logged(server, "replaced and serving", 20_000)).toBe(true);
      // A leak, a MiB per call at a steady pace, is caught before V8's limit: the worker answers what it
      // holds and leaves. The pace leaves the 50 ms heap check room on a loaded machine (a MiB per 10 ms let
      // V8's limit win once there); the leak stops once one worker has left, so no replacement leaks too.
      const leftForHeap = () => server.stdout.some((line) => line.includes("heap at"));
      for (let i = 0; i < 300 && !leftForHeap(); i++) {
        await client.send(envelopeCodec.encode(ping(LEAK)));
        await sleep(25);
      }
    } finally {
      client.close();
    }
    expect(await logged(server, "heap at", 20_000)).toBe(true);
    expect(await reqEnvelope(endpoint, ping(8n))).toEqual(pong(8n));
    expect((await countersOf(server)).refusals.heapLimit).toBeGreaterThanOrEqual(2);
    await stopsCleanly(server);
  });
});

describe("a handler that reaches V8's heap limit inside its call", () => {
  it("costs its worker; the request it was running is answered by the replacement", { timeout: 60_000 }, async () => {
    // V8 ends the thread inside the call: it cannot answer. Its replacement does, from the call record the
    // dead thread left in shared memory (call-record.ts). Before, that request was never answered.
    const server = await spawnServer(["--workers", "1", "--handler", HOSTILE_HANDLER, "--worker-heap-mb", "32"]);
    const client = dealer(server.endpoints.main[0]!, 45_000);
    try {
      await client.send([Buffer.alloc(0), envelopeCodec.encode(ping(HOG_SYNC))]);
      const [, reply] = await client.receive();
      const error = errorOf(envelopeCodec.decode(reply!));
      expect(error.code).toBe(ErrorCode.CODE_HANDLER);
      expect(error.seq).toBe(HOG_SYNC);
      expect(error.message).toContain("heap limit");
      expect(await reqEnvelope(server.endpoints.main[0]!, ping(12n))).toEqual(pong(12n));
    } finally {
      client.close();
    }
    expect((await countersOf(server)).refusals.heapLimit).toBe(1);
    await stopsCleanly(server);
  });
});

describe("a handler that fills its heap in one burst, in a continuation (its worker's receive pending)", () => {
  it("ends the whole process with zeromq's teardown abort (exit 134): the known limit a supervisor covers", async () => {
    // V8 ends the thread at its heap limit before our heap watch can run, and zeromq.js aborts the process
    // when a thread ends with a receive pending (zeromq.js#411). README "Hardening" says what restarts it.
    const server = await spawnServer(["--workers", "2", "--handler", HOSTILE_HANDLER, "--worker-heap-mb", "64"]);
    const client = dealer(server.endpoints.main[0]!);
    try {
      await client.send(envelopeCodec.encode(ping(HOG_ASYNC)));
      const { code, signal } = await exitedWithin(server, 30_000);
      expect(server.child.stderr).toContain("Napi::Error");
      expect(code === 134 || signal === "SIGABRT").toBe(true);
    } finally {
      client.close();
    }
  });
});

describe("1,050 connections that never finish the handshake, with 1,024 file descriptors", () => {
  it("are dropped at the handshake timeout; accept failures are counted and logged; new clients get in", {
    timeout: 60_000,
  }, async () => {
    // 3 s, not less: on a loaded machine a shorter timeout drops the first half-open connections before the
    // last are accepted, so the descriptors never all run out and no accept fails.
    const server = await spawnServer(["--workers", "2", "--handshake-timeout", "3000", "--stats-interval", "0"]);
    execFileSync("prlimit", [`--pid=${server.child.pid}`, "--nofile=1024:1024"]);
    const endpoint = server.endpoints.main[0]!;
    const attack = await halfOpenConnections(endpoint, 1050);
    try {
      const asked = performance.now();
      let answered = false;
      while (!answered && performance.now() - asked < 20_000) {
        try {
          answered = (await reqEnvelope(endpoint, ping(3n))).payload.case === "pong";
        } catch {
          // Turned away while the half-open connections hold every descriptor.
        }
      }
      expect(answered).toBe(true);
      console.info(`a new client got in ${Math.round(performance.now() - asked)} ms after 1,050 half-open connections`);
      // Every half-open connection is dropped once its handshake timeout passes.
      const deadline = Date.now() + 15_000;
      while (((await countersOf(server)).refusals.handshakeFailures ?? 0) < 1000 && Date.now() < deadline)
        await sleep(200);
    } finally {
      attack.close();
    }
    const { refusals } = await countersOf(server);
    expect(refusals.acceptFailures).toBeGreaterThan(0);
    expect(refusals.handshakeFailures).toBeGreaterThanOrEqual(1000);
    const acceptLines = server.stdout.filter((line) => line.includes("accepting a connection failed"));
    expect(acceptLines.length).toBeGreaterThan(0);
    expect(acceptLines.length).toBeLessThanOrEqual(3); // rate-limited: one line per 10 s
    await stopsCleanly(server);
  });
});

describe("two peers with the same routing id", () => {
  it("the later one takes the id over and gets its replies (ROUTER_HANDOVER)", async () => {
    const server = await spawnServer(["--workers", "2"]);
    const endpoint = server.endpoints.main[0]!;
    const first = await rawDealer(endpoint, "same-id");
    await sleep(200);
    const second = await rawDealer(endpoint, "same-id");
    await sleep(200);
    try {
      second.send(Buffer.from(envelopeCodec.encode(ping(2n))));
      const deadline = Date.now() + 5000;
      while (second.replies.length === 0 && Date.now() < deadline) await sleep(20);
      expect(second.replies.map((r) => envelopeCodec.decode(r))).toEqual([pong(2n)]);
    } finally {
      first.close();
      second.close();
    }
    await stopsCleanly(server);
  });
});
