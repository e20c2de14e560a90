// Envelope encode/decode ops/s through @zpb/proto (default: reused writer; and a fresh writer per call) and through the
// pbjs-generated class used plainly (plain objects, number seqs), interleaved to share drift.
import { createEnvelopeCodec, envelopeCodec, example, ping, type Codec, type Envelope } from "@zpb/proto";
import type { CodecResult } from "../result.js";

/** Config of the codec benchmark. */
export interface CodecConfig {
  /** Time per sample per (impl, op). */
  sampleMs: number;
  samples: number;
}

const BATCH = 2000;
const VARIANTS = 1024;

function timeOps(fn: (i: number) => number, sampleMs: number): number {
  let ops = 0;
  let guard = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(sampleMs) * 1_000_000n;
  let now = start;
  while (now < until) {
    for (let i = 0; i < BATCH; i++) guard ^= fn(ops + i);
    ops += BATCH;
    now = process.hrtime.bigint();
  }
  if (guard === 0x7fffffff) process.stdout.write(""); // keeps `guard` observable
  return ops / (Number(now - start) / 1e9);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs every (impl, op) `samples` times for `sampleMs` each; returns medians. */
export function runCodecBench({ sampleMs, samples }: CodecConfig): CodecResult[] {
  const fresh = createEnvelopeCodec({ reuseWriter: false });
  const messages: Envelope[] = Array.from({ length: VARIANTS }, (_, i) => ping(1_000_000 + i * 7919));
  const plainMessages = Array.from({ length: VARIANTS }, (_, i) => ({ ping: { seq: 1_000_000 + i * 7919 } }));
  const bytes = messages.map((m) => envelopeCodec.encode(m));
  const zpbEncode = (codec: Codec<Envelope>) => (i: number) => codec.encode(messages[i & (VARIANTS - 1)]!).length;
  const cases: Array<{ impl: CodecResult["impl"]; op: CodecResult["op"]; fn: (i: number) => number }> = [
    { impl: "zpb", op: "encode", fn: zpbEncode(envelopeCodec) },
    { impl: "zpb-freshWriter", op: "encode", fn: zpbEncode(fresh) },
    {
      impl: "protobufjs",
      op: "encode",
      fn: (i) => example.Envelope.encode(plainMessages[i & (VARIANTS - 1)]!).finish().length,
    },
    {
      impl: "zpb",
      op: "decode",
      fn: (i) => {
        const p = envelopeCodec.decode(bytes[i & (VARIANTS - 1)]!).payload;
        return p.case === "ping" ? Number(p.value.seq & 0xffn) : 0;
      },
    },
    {
      impl: "protobufjs",
      op: "decode",
      // the field as protobufjs gives it (a Long for uint64): reading it, not converting it
      fn: (i) => (example.Envelope.decode(bytes[i & (VARIANTS - 1)]!).ping?.seq ? 1 : 0),
    },
  ];
  const results = cases.map((c) => ({ impl: c.impl, op: c.op, samples: [] as number[], opsPerSec: 0 }));
  for (const c of cases) timeOps(c.fn, Math.min(100, sampleMs)); // warm every path up before measuring
  for (let s = 0; s < samples; s++) {
    for (const [k, c] of cases.entries()) results[k]!.samples.push(Math.round(timeOps(c.fn, sampleMs)));
  }
  for (const r of results) r.opsPerSec = Math.round(median(r.samples));
  return results;
}
