// The real server process (packages/server, 2 workers) driven by Debian's pyzmq + protobuf: a
// REQ client and a single-frame DEALER client (with and without the empty delimiter) get correct Pongs,
// and bytes that are not an Envelope get the ErrorReply extension, which Python's generated code decodes.
import { UINT64_MAX } from "@zpb/proto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ServerProcess } from "../support/processes.js";
import { PythonPeers, generatePythonCode, requirePrerequisites, type PeerResult } from "./python-peer.js";

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const PEER_TIMEOUT_S = "10";
const COUNT = 200;

describe("Python peers against the real zpb server (2 workers)", { timeout: 40_000 }, () => {
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
  afterAll(
    async () => {
      await server?.stop();
      generated?.remove();
    },
    2 * STOP_TIMEOUT_MS + 1_000,
  );

  /** Asserts peer.py ran clean (exit 0, no problems), showing the server's log when it did not. */
  function expectClean(result: PeerResult) {
    expect(result.summary, `peer.py stderr: ${result.stderr}\nserver log:\n${server?.log}`).toMatchObject({
      ok: true,
      problems: [],
    });
    expect(result.code).toBe(0);
    return result.summary!;
  }

  const base = () => ["--connect", server!.endpoint, "--count", String(COUNT), "--timeout", PEER_TIMEOUT_S];

  it("a Python REQ client gets Pong{seq} for every Ping, up to 2^64-1", async () => {
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
    const result = await peers.run([
      "req",
      "--connect",
      server!.endpoint,
      "--garbage",
      garbage,
      "--count",
      "3",
      "--timeout",
      PEER_TIMEOUT_S,
    ]);
    const summary = expectClean(result);
    expect(summary.errorReplies).toHaveLength(3);
    expect(summary.errorReplies).toEqual(
      Array(3).fill(expect.objectContaining({ case: "error", codeName: "CODE_DECODE" })),
    );
  });

  for (const delimiter of [false, true]) {
    it(`Python DEALER ${delimiter ? "with" : "without"} delimiter, garbage bytes → ErrorReply, and the server keeps serving`, async () => {
      const bad = await peers.run([
        "dealer",
        "--connect",
        server!.endpoint,
        "--garbage",
        garbage,
        "--count",
        "3",
        "--timeout",
        PEER_TIMEOUT_S,
        ...(delimiter ? ["--delimiter"] : []),
      ]);
      expect(expectClean(bad).errorReplies).toEqual(
        Array(3).fill(expect.objectContaining({ case: "error", codeName: "CODE_DECODE" })),
      );
      expect(expectClean(await peers.run(["req", ...base()]))).toMatchObject({ received: COUNT });
    });
  }

  // Last on purpose: after all the Python traffic above, SIGTERM must end the server cleanly (no abort).
  it(
    "the server exits 0 on SIGTERM after serving the Python peers",
    async () => {
      expect(await server!.stop(), server!.log).toMatchObject({ code: 0, signal: null });
    },
    2 * STOP_TIMEOUT_MS + 1_000,
  );
});
