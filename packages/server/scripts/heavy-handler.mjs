// A CPU-heavy handler for quick scaling checks: about 200 µs of deterministic busy work per Ping on this
// machine (xorshift rounds; the count is fixed, not a time). Use: --handler scripts/heavy-handler.mjs
import { pong } from "@zpb/proto";

const ROUNDS = Number(process.env.ZPB_HEAVY_ROUNDS ?? 143_000);
// biome-ignore lint/correctness/noUnusedVariables: written so the optimiser cannot drop the busy loop
let sink = 0;

export default function heavyHandler(request) {
  let x = Number(request.payload.value?.seq ?? 1n) | 1;
  for (let i = 0; i < ROUNDS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink ^= x;
  return pong(request.payload.value.seq);
}
