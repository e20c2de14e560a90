// Quick bounded micro-run (a few seconds): Envelope encode (+decode) with a fresh writer per message vs
// reuseWriter, codecs alternated, medians of 5 rounds. Not a benchmark: that lives in packages/bench.
// Run after `pnpm run build`: flock /tmp/zpb-bench.lock node micro/reuse-writer.mjs [iterations=500000]
import { createEnvelopeCodec, errorReply, ping } from "@zpb/proto";

const N = Number(process.argv[2] ?? 500_000);
const ROUNDS = 5;
const codecs = { fresh: createEnvelopeCodec(), reuse: createEnvelopeCodec({ reuseWriter: true }) };
const pings = Array.from({ length: 1024 }, (_, i) => ping(BigInt(i) * 7919n));
const errors = Array.from({ length: 1024 }, (_, i) => errorReply(5, "x".repeat(200), BigInt(i) << 40n));

/** Messages per second through one codec; the sink keeps the work from being optimised away. */
function rate(codec, messages, decode) {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const bytes = codec.encode(messages[i & 1023]);
    sink += decode ? (codec.decode(bytes).payload.case ? 1 : 0) : bytes.length;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) console.log(sink);
  return N / seconds;
}

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
for (const [label, messages, decode] of [
  ["ping encode", pings, false],
  ["ping encode+decode", pings, true],
  ["230 B error encode", errors, false],
]) {
  const rates = { fresh: [], reuse: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 ? ["reuse", "fresh"] : ["fresh", "reuse"])
      rates[mode].push(rate(codecs[mode], messages, decode));
  }
  const m = (mode) => (median(rates[mode]) / 1e6).toFixed(2);
  console.log(`${label.padEnd(20)} fresh ${m("fresh")}M/s  reuse ${m("reuse")}M/s  (median of ${ROUNDS} x ${N})`);
}
