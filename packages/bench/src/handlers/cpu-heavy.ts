// The CPU-heavy handler module our server loads with `--handler` (the server's handler contract:
// an ESM module whose default export maps a request Envelope to a reply Envelope).
import type { Envelope } from "@zpb/proto";
import { HEAVY_ITERATIONS, answer } from "../work.js";

/** Ping → Pong after HEAVY_ITERATIONS of deterministic busy work (~200 µs). */
export default function cpuHeavyHandler(request: Envelope): Envelope {
  return answer(request, HEAVY_ITERATIONS);
}
