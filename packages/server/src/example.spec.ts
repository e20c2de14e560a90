// The README's "your own handler and schema" example, run for real: generate code from its .proto with
// zpb-proto-gen, serve it, and talk to it in its own schema (replies, faults and all).
import { beforeAll, afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ErrorCode, createCodec, type Codec } from "@zpb/proto";
import type { RunningServer } from "./index.js";
import { mainEndpoint, reqRoundTrip, startTestServer } from "./test-support/server.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const example = join(packageDir, "examples", "pricing");

interface PricingMessage {
  id?: number | { toString(): string };
  body?: string;
  quote?: { symbol: string; bid: number; ask: number };
  failure?: { code: number; message: string };
}

describe("the pricing example (a user's own schema)", () => {
  let server: RunningServer;
  let codec: Codec<PricingMessage>;
  beforeAll(async () => {
    const generator = join(
      dirname(createRequire(import.meta.url).resolve("@zpb/proto-gen/package.json")),
      "bin",
      "zpb-proto-gen.mjs",
    );
    const run = spawnSync(process.execPath, [generator, "examples/pricing/proto", "examples/pricing/gen"], {
      cwd: packageDir,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const generated = await import(/* @vite-ignore */ pathToFileURL(join(example, "gen", "pricing.js")).href);
    codec = createCodec(generated.pricing.Message) as Codec<PricingMessage>;
    server = await startTestServer({ handler: join(example, "handler.mjs"), echo: false });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  async function ask(message: PricingMessage | Uint8Array): Promise<PricingMessage> {
    const bytes = message instanceof Uint8Array ? message : codec.encode(message);
    const [reply] = await reqRoundTrip(mainEndpoint(server), bytes);
    return codec.decode(reply!);
  }

  it("answers a QuoteRequest with a Quote carrying the request's id", async () => {
    const reply = await ask({ id: 17, request: { symbol: "EURUSD" } } as PricingMessage);
    expect(reply.body).toBe("quote");
    expect(String(reply.id)).toBe("17");
    expect(reply.quote).toMatchObject({ symbol: "EURUSD", bid: 1.0812, ask: 1.0814 });
  });

  it("answers faults in the user's schema through its errorReply()", async () => {
    const unknown = await ask({ id: 18, request: { symbol: "NOPE" } } as PricingMessage);
    expect(unknown.body).toBe("failure");
    expect(String(unknown.id)).toBe("18");
    expect(unknown.failure).toMatchObject({ code: ErrorCode.CODE_HANDLER, message: "no price for NOPE" });

    const wrongCase = await ask({ id: 19, quote: { symbol: "X", bid: 1, ask: 2 } } as PricingMessage);
    expect(wrongCase.failure?.code).toBe(ErrorCode.CODE_UNKNOWN_PAYLOAD);

    const garbage = await ask(new Uint8Array([0x12, 0x05, 0x01]));
    expect(garbage.failure?.code).toBe(ErrorCode.CODE_DECODE);
  });
});
