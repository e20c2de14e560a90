// piscina's task file for the piscina peer server: decode, answer, encode — one short task per request.
import { workerData } from "node:worker_threads";
import { envelopeCodec } from "@zpb/proto";
import { answer } from "./work.js";

const iterations = (workerData as { iterations?: number } | undefined)?.iterations ?? 0;

/** One request's bytes in, its reply's bytes out. */
export default function handle(request: Uint8Array): Uint8Array {
  return envelopeCodec.encode(answer(envelopeCodec.decode(request), iterations));
}
