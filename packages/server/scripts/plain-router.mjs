#!/usr/bin/env node
// The baseline the issue compares against: a plain single-threaded zeromq ROUTER loop "written the obvious
// way" (receive, decode, Pong, encode, send). For quick side-by-side runs with scripts/load.mjs.
//   node scripts/plain-router.mjs tcp://127.0.0.1:5560
import * as zmq from "zeromq";
import { envelopeCodec, pong } from "@zpb/proto";

const router = new zmq.Router({ linger: 0 });
await router.bind(process.argv[2] ?? "tcp://127.0.0.1:5560");
process.on("SIGTERM", () => router.close());
process.on("SIGINT", () => router.close());
try {
  for await (const frames of router) {
    const request = envelopeCodec.decode(frames[frames.length - 1]);
    const seq = request.payload.case === "ping" ? request.payload.value.seq : 0n;
    frames[frames.length - 1] = envelopeCodec.encode(pong(seq));
    await router.send(frames);
  }
} catch (error) {
  if (!router.closed) throw error;
}
