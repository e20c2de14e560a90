// Scenario 5: Envelope encode/decode ops/s, in a child process of its own.
import type { CodecResult } from "../result.js";
import type { Proc } from "../procs.js";
import { messageOf, rate, type ScenarioContext } from "./context.js";

/** Runs the codec microbenchmark and records its medians. */
export async function runCodec(ctx: ScenarioContext): Promise<void> {
  const o = ctx.options;
  ctx.progress.begin("codec");
  let proc: Proc | undefined;
  try {
    proc = ctx.registry.forkRole("codec", { sampleMs: o.codecSampleMs, samples: o.codecSamples });
    await proc.next("ready", 20_000);
    proc.send({ type: "go" });
    const results = (await proc.next("result", 10 * o.codecSampleMs * o.codecSamples + 20_000)).data as CodecResult[];
    ctx.result.codec.push(...results);
    ctx.progress.end(results.map((r) => `${r.impl} ${r.op} ${rate(r.opsPerSec)}/s`).join(", "));
  } catch (err) {
    ctx.result.errors.push({ scenario: "codec", message: messageOf(err) });
    ctx.progress.end(`FAILED: ${messageOf(err).split("\n")[0]}`);
  } finally {
    await proc?.stop(3000);
  }
}
