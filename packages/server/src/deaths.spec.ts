// A worker thread that dies — uncaught exception outside a handler, unhandled rejection, process.exit in a
// handler — is replaced; the server keeps serving and counts the death. This test's own process hosts the
// server: if a dying thread took its sockets down the wrong way, libzmq's Napi::Error abort would kill
// the whole test process instead of failing one assertion.
import { describe, expect, it } from "vitest";
import { ErrorCode, envelopeCodec, ping, pong } from "@zpb/proto";
import type { RunningServer } from "./index.js";
import { FAULTY_HANDLER, dealer, mainEndpoint, reqEnvelope, withTestServer, waitFor } from "./test-support/server.js";

describe("worker deaths", () => {
  let server: RunningServer;
  let endpoint: string;
  withTestServer({ handler: FAULTY_HANDLER }, (started) => {
    server = started;
    endpoint = mainEndpoint(started);
  });

  /** Waits for every slot to serve again, then pings until each has answered at least once more. */
  async function allWorkersServe(): Promise<void> {
    await waitFor(() => server.stats().serving === 2, "the replacement to be serving");
    const before = server.stats().workers.map((w) => w.replies);
    const client = dealer(endpoint);
    try {
      for (let round = 0; round < 50; round++) {
        for (let i = 0; i < 20; i++) await client.send(envelopeCodec.encode(ping(500n + BigInt(i))));
        for (let i = 0; i < 20; i++)
          expect(envelopeCodec.decode((await client.receive())[0]!).payload.case).toBe("pong");
        if (server.stats().workers.every((w, slot) => w.replies > before[slot]!)) return;
      }
      throw new Error("some worker slot never answered again");
    } finally {
      client.close();
    }
  }

  it("replaces a worker killed by an uncaught exception thrown outside the handler", async () => {
    const deaths = server.stats().workerDeaths;
    // The reply goes out before the timer fires.
    expect(await reqEnvelope(endpoint, ping(10n))).toEqual(pong(10n));
    await waitFor(() => server.stats().workerDeaths === deaths + 1, "the death to be counted");
    expect(server.deaths().at(-1)!.reason).toContain("timer boom");
    await allWorkersServe();
  });

  it("replaces a worker killed by an unhandled rejection", async () => {
    const deaths = server.stats().workerDeaths;
    expect(await reqEnvelope(endpoint, ping(12n))).toEqual(pong(12n));
    await waitFor(() => server.stats().workerDeaths === deaths + 1, "the death to be counted");
    expect(server.deaths().at(-1)!.reason).toContain("nobody awaits me");
    await allWorkersServe();
  });

  it("answers the request whose handler called process.exit, then replaces the worker", async () => {
    const deaths = server.stats().workerDeaths;
    const reply = await reqEnvelope(endpoint, ping(11n));
    expect(reply.payload).toMatchObject({ case: "error", value: { code: ErrorCode.CODE_HANDLER } });
    expect(reply.payload.case === "error" && reply.payload.value.message).toContain("process.exit(7)");
    await waitFor(() => server.stats().workerDeaths === deaths + 1, "the death to be counted");
    expect(server.deaths().at(-1)!.reason).toContain("process.exit(7)");
    await allWorkersServe();
  });

  it("survives both workers dying at once, answering the async requests they were still handling", async () => {
    await waitFor(() => server.stats().serving === 2, "both workers to be serving");
    const deaths = server.stats().workerDeaths;
    const client = dealer(endpoint);
    try {
      // Round robin: one slow (300 ms, async) request lands on each worker, then one process.exit on each.
      for (const seq of [13n, 13n, 11n, 11n]) await client.send(envelopeCodec.encode(ping(seq)));
      const answers: string[] = [];
      for (let i = 0; i < 4; i++) {
        const reply = envelopeCodec.decode((await client.receive())[0]!);
        expect(reply.payload).toMatchObject({ case: "error", value: { code: ErrorCode.CODE_HANDLER } });
        answers.push(String(reply.payload.case === "error" && reply.payload.value.seq));
      }
      // The dying threads answered what they held: the exits and the slow requests still running.
      expect(answers.sort()).toEqual(["11", "11", "13", "13"]);
    } finally {
      client.close();
    }
    await waitFor(() => server.stats().workerDeaths === deaths + 2, "both deaths to be counted");
    await allWorkersServe();
  });
});

describe("requests queued for a worker that dies", () => {
  let server: RunningServer;
  withTestServer({ handler: FAULTY_HANDLER, workers: 1, echo: false }, (started) => {
    server = started;
  });

  it("are refused with CODE_UNAVAILABLE or served by the replacement — never left unanswered", async () => {
    const client = dealer(mainEndpoint(server));
    try {
      // One worker: the exit and everything pipelined behind it land on the same thread.
      const seqs = [11n, ...Array.from({ length: 20 }, (_, i) => 2000n + BigInt(i))];
      for (const seq of seqs) await client.send(envelopeCodec.encode(ping(seq)));
      const answers = new Map<bigint, string>();
      for (let i = 0; i < seqs.length; i++) {
        const reply = envelopeCodec.decode((await client.receive())[0]!);
        const p = reply.payload;
        if (p.case === "pong") answers.set(p.value.seq, "pong");
        else if (p.case === "error") answers.set(p.value.seq, `error ${p.value.code}`);
      }
      expect(answers.size).toBe(seqs.length);
      expect(answers.get(11n)).toBe(`error ${ErrorCode.CODE_HANDLER}`);
      for (const seq of seqs.slice(1))
        expect(["pong", `error ${ErrorCode.CODE_UNAVAILABLE}`]).toContain(answers.get(seq));
    } finally {
      client.close();
    }
    await waitFor(() => server.stats().serving === 1 && server.stats().workerDeaths === 1, "the replacement");
    expect(await reqEnvelope(mainEndpoint(server), ping(77n))).toEqual(pong(77n));
  });
});
