// The native load client (native/load.c) against @zpb/proto: the same request bytes, the same
// reading of replies, and a real run against a real ROUTER. A machine without a C compiler or libzmq headers
// fails these tests with the reason (scripts/ensure-peers.sh installs them): a missing build is never a skip.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dealer, Router } from "zeromq";
import { BATCH_MARKER, createBatchCodec, envelopeCodec, errorReply, ErrorCode, ping, pong } from "@zpb/proto";
import { buildNative } from "./native.js";
import type { LoadClientResult } from "./result.js";

const buildDir = mkdtempSync(join(tmpdir(), "zpb-native-"));
const build = buildNative("load", buildDir);
const routerBuild = buildNative("router", buildDir);
const binary = build.ok ? build.binary : "";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const native = (...args: string[]): string => execFileSync(binary, args, { encoding: "utf8", timeout: 5000 }).trim();

const SEQS = [0n, 1n, 127n, 128n, 300n, 16_383n, 16_384n, 2n ** 32n, 2n ** 40n + 1n, 2n ** 63n, 2n ** 64n - 1n];

/** Says "go" once the load client is ready; resolves with its exit code and everything it printed. */
async function goAndWait(child: ChildProcess): Promise<{ code: number | null; out: string }> {
  let out = "";
  let went = false;
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    if (!went && out.includes('{"ready":true}')) {
      went = true;
      child.stdin!.write("go\n");
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, out };
}

describe("native load client", () => {
  beforeAll(() => {
    if (!build.ok) throw new Error(`native/load.c did not build: ${build.reason}`);
  });

  it("encodes Envelope{ping{seq}} byte for byte as @zpb/proto does", () => {
    for (const seq of SEQS)
      expect(native("--encode-ping", String(seq)), `seq ${seq}`).toBe(hex(envelopeCodec.encode(ping(seq))));
  });

  it("reads the seq of every Pong @zpb/proto encodes, and takes nothing else for a Pong", () => {
    for (const seq of SEQS) expect(native("--decode-reply", hex(envelopeCodec.encode(pong(seq))))).toBe(String(seq));
    expect(native("--decode-reply", hex(envelopeCodec.encode(errorReply(ErrorCode.CODE_HANDLER, "no", 5n))))).toBe(
      "unexpected",
    );
    expect(native("--decode-reply", hex(envelopeCodec.encode(ping(5n))))).toBe("unexpected");
    expect(native("--decode-reply", "12058080")).toBe("unexpected"); // truncated
  });

  it("keeps a window in flight against a ROUTER, and counts lost, duplicate and unmatched replies", async () => {
    const router = new Router({ linger: 0 });
    await router.bind("tcp://127.0.0.1:*");
    // Answers every request once; also answers seq base+3 twice, and sends one Pong nobody asked for,
    // and never answers seq base+7.
    const base = 1000n;
    const serving = (async () => {
      for await (const [id, payload] of router) {
        const req = envelopeCodec.decode(payload!);
        if (req.payload.case !== "ping") continue;
        const seq = req.payload.value.seq;
        if (seq === base + 7n) continue;
        await router.send([id!, envelopeCodec.encode(pong(seq))]);
        if (seq === base + 3n) {
          await router.send([id!, envelopeCodec.encode(pong(seq))]);
          await router.send([id!, envelopeCodec.encode(pong(999_999n))]);
        }
      }
    })().catch(() => {});
    const child = spawn(binary, [
      "--endpoint",
      router.lastEndpoint!,
      "--window",
      "16",
      "--count",
      "2000",
      "--warmup",
      "200",
      "--duration-ms",
      "5000",
      "--seq-base",
      String(base),
      "--stall-ms",
      "500",
    ]);
    const { code, out } = await goAndWait(child);
    router.close();
    await serving;
    expect(code).toBe(0);
    const result = JSON.parse(out.trim().split("\n").pop()!) as LoadClientResult;
    expect(result.sent).toBe(2000);
    expect(result.received).toBe(1999);
    expect(result.lost).toBe(1);
    expect(result.stalled).toBe(true); // seq base+7 never came back
    expect(result.duplicates).toBe(1);
    expect(result.unexpected).toBe(1);
    expect(result.counted).toBeGreaterThan(0);
    expect(result.counted).toBeLessThan(result.received); // warm-up excluded
    expect(result.toSeconds).toBeGreaterThan(result.fromSeconds);
    expect(result.cpuSeconds).toBeGreaterThan(0);
  }, 20_000);

  it("--batch 10 sends [marker, batch] frames and reads batch replies: every request answered once", async () => {
    const router = new Router({ linger: 0 });
    await router.bind("tcp://127.0.0.1:*");
    const batches = createBatchCodec(envelopeCodec);
    let batchesSeen = 0;
    // A ROUTER that speaks the batch wire: one batch of pongs, in order, per batch of pings.
    const serving = (async () => {
      for await (const [id, marker, frame] of router) {
        if (!marker!.equals(BATCH_MARKER) || frame === undefined) continue;
        batchesSeen++;
        const pongs = batches.decode(frame).map((m) => pong(m.payload.case === "ping" ? m.payload.value.seq : 0n));
        await router.send([id!, BATCH_MARKER, batches.encode(pongs)]);
      }
    })().catch(() => {});
    const child = spawn(binary, [
      ...["--endpoint", router.lastEndpoint!, "--window", "40", "--count", "1000", "--warmup", "100"],
      ...["--duration-ms", "5000", "--seq-base", "1", "--stall-ms", "1000", "--batch", "10"],
    ]);
    const { code, out } = await goAndWait(child);
    router.close();
    await serving;
    expect(code).toBe(0);
    const result = JSON.parse(out.trim().split("\n").pop()!) as LoadClientResult;
    expect(result).toMatchObject({ sent: 1000, received: 1000, lost: 0, duplicates: 0, unexpected: 0 });
    expect(batchesSeen).toBeGreaterThanOrEqual(100); // at most 10 per batch
  }, 20_000);

  it("ends without a run when its input closes before go", async () => {
    const child = spawn(binary, ["--endpoint", "tcp://127.0.0.1:9", "--count", "10"], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    child.stdin.end();
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(3);
  });
});

describe("native ROUTER peer", () => {
  beforeAll(() => {
    if (!routerBuild.ok) throw new Error(`native/router.c did not build: ${routerBuild.reason}`);
  });

  it("answers a Ping with a Pong of the same seq on both envelope shapes, anything else with CODE_UNKNOWN_PAYLOAD, and exits 0 on SIGTERM", async () => {
    const child = spawn(routerBuild.ok ? routerBuild.binary : "", ["--bind", "tcp://127.0.0.1:*"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const endpoint = await new Promise<string>((resolve) => {
      let text = "";
      child.stdout.on("data", (d: Buffer) => {
        text += d.toString();
        if (text.includes("\n")) resolve((JSON.parse(text.split("\n")[0]!) as { endpoint: string }).endpoint);
      });
    });
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const dealer = new Dealer({ linger: 0, receiveTimeout: 5000 });
    dealer.connect(endpoint);
    try {
      await dealer.send(envelopeCodec.encode(ping(2n ** 40n + 1n))); // single frame (DEALER wire)
      const [single] = await dealer.receive();
      expect(envelopeCodec.decode(single!)).toEqual(envelopeCodec.decode(envelopeCodec.encode(pong(2n ** 40n + 1n))));
      await dealer.send([Buffer.alloc(0), envelopeCodec.encode(ping(0n))]); // [empty, payload] (REQ wire)
      const framed = await dealer.receive();
      expect(framed.length).toBe(2);
      expect(framed[0]!.length).toBe(0);
      expect(hex(framed[1]!)).toBe(hex(envelopeCodec.encode(pong(0n))));
      await dealer.send(envelopeCodec.encode(pong(3n)));
      const [bad] = await dealer.receive();
      const reply = envelopeCodec.decode(bad!);
      expect(reply.payload.case).toBe("error");
      if (reply.payload.case === "error") expect(reply.payload.value.code).toBe(ErrorCode.CODE_UNKNOWN_PAYLOAD);
    } finally {
      dealer.close();
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  }, 20_000);
});
