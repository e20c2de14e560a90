// The user-schema story, end to end: run the zpb-proto-gen bin (@zpb/proto-gen) on a folder
// holding a user's .proto, import the generated static class, and get the same typed codec through
// createCodec. Output goes to packages/proto/spec-gen/ (gitignored) so the generated
// `import "protobufjs/minimal.js"` resolves through this package's node_modules.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createCodec, type StaticMessageType } from "./codec.js";
import { envelopeCodec, ping } from "./envelope.js";
import { DecodeError, EncodeError } from "./errors.js";
import { UINT64_MAX, bigIntToUint64, uint64ToBigInt, type WireUint64 } from "./uint64.js";
import { toHex } from "./test-support/bytes.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const generator = join(
  dirname(createRequire(import.meta.url).resolve("@zpb/proto-gen/package.json")),
  "bin",
  "zpb-proto-gen.mjs",
);
const outRoot = join(packageDir, "spec-gen");

/** Runs zpb-proto-gen from the package folder, as `pnpm exec zpb-proto-gen ...` would. */
function generate(...args: string[]) {
  return spawnSync(process.execPath, [generator, ...args], { cwd: packageDir, encoding: "utf8", timeout: 60_000 });
}

/** The caller's view of a quote: the uint64 timestamp as an exact bigint. */
interface Quote {
  symbol: string;
  bid: number;
  ask: number;
  tsNs: bigint;
}

/** What pbjs generates for `market.Quote` (ts_ns becomes tsNs; uint64 is read as a Long). */
interface QuoteWire {
  symbol?: string;
  bid?: number;
  ask?: number;
  tsNs?: WireUint64 | null;
}

describe("a user's own schema through zpb-proto-gen and createCodec", () => {
  let QuoteType: StaticMessageType<QuoteWire>;

  beforeAll(async () => {
    rmSync(join(outRoot, "quotes"), { recursive: true, force: true });
    const run = generate("src/test-support/user-schema", "spec-gen/quotes");
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("spec-gen/quotes/quotes.js");
    const generated = join(outRoot, "quotes", "quotes.js");
    const module = await import(/* @vite-ignore */ pathToFileURL(generated).href);
    QuoteType = module.market.Quote;
  }, 60_000);

  it("writes ESM static code and declarations named after the .proto", () => {
    const js = readFileSync(join(outRoot, "quotes", "quotes.js"), "utf8");
    expect(js).toContain('import $protobuf from "protobufjs/minimal.js"');
    expect(js).toContain('$protobuf.roots["quotes"]');
    const dts = readFileSync(join(outRoot, "quotes", "quotes.d.ts"), "utf8");
    expect(dts).toMatch(/namespace market/);
    expect(dts).toMatch(/class Quote/);
  });

  it("round-trips a Quote with an exact uint64 timestamp through createCodec", () => {
    const quotes = createCodec<QuoteWire, Quote>(QuoteType, {
      typeName: "market.Quote",
      toWire: (q) => ({ symbol: q.symbol, bid: q.bid, ask: q.ask, tsNs: bigIntToUint64(q.tsNs) }),
      fromWire: (w) => ({ symbol: w.symbol ?? "", bid: w.bid ?? 0, ask: w.ask ?? 0, tsNs: uint64ToBigInt(w.tsNs) }),
    });
    const samples: Quote[] = [
      { symbol: "ESZ6", bid: 6012.25, ask: 6012.5, tsNs: 1_795_000_000_123_456_789n },
      { symbol: "", bid: 0, ask: 0, tsNs: 0n },
      { symbol: "BTC-USD", bid: -0.5, ask: Number.MAX_VALUE, tsNs: UINT64_MAX },
    ];
    for (const quote of samples) expect(quotes.decode(quotes.encode(quote))).toEqual(quote);

    // Bytes as protoc writes them: printf '%s' 'symbol: "ES" ts_ns: 1' | protoc --encode=market.Quote
    //   -I src/test-support/user-schema src/test-support/user-schema/quotes.proto | od -An -tx1
    expect(toHex(quotes.encode({ symbol: "ES", bid: 0, ask: 0, tsNs: 1n }))).toBe("0a 02 45 53 20 01");

    expect(() => quotes.encode({ ...samples[0]!, tsNs: -1n })).toThrow(EncodeError);
    expect(() => quotes.decode(Uint8Array.of(0x0a, 0x05, 0x45))).toThrow(DecodeError);
  });

  it("a user module reusing the package name `example` leaves @zpb/proto's Envelope intact", async () => {
    rmSync(join(outRoot, "same-package"), { recursive: true, force: true });
    const run = generate("src/test-support/same-package", "spec-gen/same-package");
    expect(run.status, run.stderr).toBe(0);
    const theirs = await import(/* @vite-ignore */ pathToFileURL(join(outRoot, "same-package", "example.js")).href);
    expect(theirs.example.Ping).toBeDefined();
    // Had both modules shared protobufjs's default roots key, theirs would have replaced our `example`
    // namespace and Envelope.encode would reach their Ping (which has no seq).
    expect(toHex(envelopeCodec.encode(ping(42n)))).toBe("0a 02 08 2a");
    expect(envelopeCodec.decode(envelopeCodec.encode(ping(UINT64_MAX)))).toEqual(ping(UINT64_MAX));
  }, 60_000);
});
