#!/usr/bin/env node
// The baseline the issue compares against: a plain single-threaded zeromq ROUTER loop "written the obvious
// way" (receive, decode, Pong, encode, send). For quick side-by-side runs with scripts/load.mjs.
//   node scripts/plain-router.mjs tcp://127.0.0.1:5560 [handler-module]
import * as zmq from "zeromq";
import { envelopeCodec, pong } from "@zpb/proto";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const answer = process.argv[3]
  ? (await import(pathToFileURL(resolve(process.argv[3])).href)).default
  : (request) => pong(request.payload.case === "ping" ? request.payload.value.seq : 0n);

const router = new zmq.Router({ linger: 0 });
await router.bind(process.argv[2] ?? "tcp://127.0.0.1:5560");
process.on("SIGTERM", () => router.close());
process.on("SIGINT", () => router.close());
try {
  for await (const frames of router) {
    const request = envelopeCodec.decode(frames[frames.length - 1]);
    frames[frames.length - 1] = envelopeCodec.encode(answer(request));
    await router.send(frames);
  }
} catch (error) {
  if (!router.closed) throw error;
}
