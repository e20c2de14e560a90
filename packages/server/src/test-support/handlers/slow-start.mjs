// A test-only handler module that takes a while to load, so a test can see the server while it starts.
import { pong } from "@zpb/proto";

await new Promise((resolve) => setTimeout(resolve, Number(process.env.ZPB_TEST_SLOW_START_MS ?? 1500)));

export default function ping(request) {
  return pong(request.payload.case === "ping" ? request.payload.value.seq : 0n);
}
