#!/usr/bin/env node
// A quick, bounded load client for design work (the full comparison lives in packages/bench):
// DEALER connection(s) pipelining Pings (the single-frame DEALER wire, docs/wire.md) with a fixed window, for a fixed time.
// Prints msg/s. Run under `flock /tmp/zpb-bench.lock` so two measurements never share the 2 cores.
//   node scripts/load.mjs --endpoint tcp://127.0.0.1:5555 [--window 100] [--duration 5000] [--connections 1] [--warmup 1000]
import * as zmq from "zeromq";
import { envelopeCodec, ping } from "@zpb/proto";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    endpoint: { type: "string", default: "tcp://127.0.0.1:5555" },
    window: { type: "string", default: "100" },
    duration: { type: "string", default: "5000" },
    warmup: { type: "string", default: "1000" },
    connections: { type: "string", default: "1" },
    delimiter: { type: "boolean", default: false },
  },
});
const windowSize = Number(values.window);
const duration = Number(values.duration);
const warmup = Number(values.warmup);

async function run(endpoint) {
  const socket = new zmq.Dealer({ linger: 0, receiveTimeout: 3000, sendHighWaterMark: 0, receiveHighWaterMark: 0 });
  socket.connect(endpoint);
  const frame = (seq) =>
    values.delimiter ? [Buffer.alloc(0), envelopeCodec.encode(ping(seq))] : envelopeCodec.encode(ping(seq));
  let seq = 0n;
  for (let i = 0; i < windowSize; i++) await socket.send(frame(seq++));
  let counted = 0;
  let countFrom = Infinity;
  const started = performance.now();
  const warm = started + warmup;
  const end = warm + duration;
  let now = started;
  let stalled = false;
  const receive = async () => {
    try {
      return await socket.receive();
    } catch (error) {
      if (error.code !== "EAGAIN") throw error;
      return undefined; // nothing for 3 s: the replies still owed were lost
    }
  };
  while (now < end) {
    const frames = await receive();
    if (frames === undefined) {
      stalled = true;
      break;
    }
    const reply = envelopeCodec.decode(frames[frames.length - 1]);
    if (reply.payload.case !== "pong") throw new Error(`unexpected reply ${reply.payload.case}`);
    if ((seq & 63n) === 0n) now = performance.now();
    if (now >= warm) {
      if (countFrom === Infinity) countFrom = now;
      counted++;
    }
    await socket.send(frame(seq++));
  }
  for (let i = 0; i < windowSize && !stalled; i++) if ((await receive()) === undefined) stalled = true;
  socket.close();
  return { counted, stalled, seconds: (now - countFrom) / 1000 };
}

const results = await Promise.all(Array.from({ length: Number(values.connections) }, () => run(values.endpoint)));
const total = results.reduce((a, r) => a + r.counted, 0);
const seconds = Math.max(...results.map((r) => r.seconds));
const stalled = results.some((r) => r.stalled);
console.log(
  JSON.stringify({
    endpoint: values.endpoint,
    window: windowSize,
    connections: results.length,
    msgPerSec: Math.round(total / seconds),
    seconds: +seconds.toFixed(2),
    ...(stalled ? { stalled: "replies stopped coming for 3 s: some were lost" } : {}),
  }),
);
