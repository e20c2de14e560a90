// A handler written in TypeScript: it loads in the worker threads when the server runs under tsx (given to
// node directly or through NODE_OPTIONS), and without a TypeScript loader the server refuses to start with
// a message that says how to run it.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { envelopeCodec, ping } from "@zpb/proto";
import { tsxLoaderIn, typescriptHint } from "./handler-import.js";
import { runCli, spawnServer, exitedWithin } from "./test-support/cli-process.js";

const TS_HANDLER = fileURLToPath(new URL("./test-support/fixtures/next-seq.ts", import.meta.url));

killChildrenAfterEach();

async function askPing(endpoint: string, seq: bigint): Promise<string> {
  const req = new zmq.Request({ linger: 0, receiveTimeout: 10_000 });
  try {
    req.connect(endpoint);
    await req.send(envelopeCodec.encode(ping(seq)));
    const [reply] = await req.receive();
    const envelope = envelopeCodec.decode(reply!);
    return envelope.payload.case === undefined ? "?" : `${envelope.payload.case}:${envelope.payload.value.seq}`;
  } finally {
    req.close();
  }
}

describe("a TypeScript handler", () => {
  it.each([
    ["node --import tsx", {}, ["--import", "tsx"]],
    ['NODE_OPTIONS="--import tsx"', { NODE_OPTIONS: "--import tsx" }, []],
    // A process-wide flag beside the loader: workers still start (they inherit, nothing is copied by hand).
    ["node --max-old-space-size=512 --import tsx", {}, ["--max-old-space-size=512", "--import", "tsx"]],
  ] as const)(
    "loads in every worker under %s",
    async (_, env, nodeArgs) => {
      const server = await spawnServer(["--no-echo", "--workers", "2", "--handler", TS_HANDLER], env, [...nodeArgs]);
      const endpoint = server.endpoints.main[0]!;
      // The server is up only once every worker has loaded the module; each reply comes from it.
      const replies = await Promise.all([1n, 2n, 3n, 4n].map((seq) => askPing(endpoint, seq)));
      expect(replies).toEqual(["pong:2", "pong:3", "pong:4", "pong:5"]);
      server.child.kill("SIGTERM");
      expect(await exitedWithin(server, 15_000)).toEqual({ code: 0, signal: null });
    },
    60_000,
  );

  it("without a TypeScript loader the server does not start, and says how to run it", async () => {
    const run = await runCli(
      ["--bind", "tcp://127.0.0.1:*", "--no-echo", "--workers", "1", "--handler", TS_HANDLER],
      { NODE_OPTIONS: "" },
      30_000,
    );
    expect(run.code).toBe(1);
    const output = run.stdout + run.stderr;
    expect(output).toContain("next-seq.ts is TypeScript, and the server runs without a TypeScript loader");
    expect(output).toContain('NODE_OPTIONS="--import tsx" npx zpb-server --handler ./handler.ts');
  }, 60_000);
});

describe("tsxLoaderIn", () => {
  it("finds tsx in each way Node takes a loader, and nothing else", () => {
    expect(tsxLoaderIn(["--import", "tsx"])).toBe("tsx");
    expect(tsxLoaderIn(["--import=tsx/esm"])).toBe("tsx/esm");
    expect(tsxLoaderIn(["--enable-source-maps", "--loader", "tsx"])).toBe("tsx");
    expect(tsxLoaderIn(["--import", "./setup.js", "--max-old-space-size=512"])).toBeUndefined();
    expect(tsxLoaderIn(["--import", "tsxish"])).toBeUndefined();
    expect(typescriptHint("file:///h.ts")).toContain("compile the handler to JavaScript");
  });
});
