import type { Envelope } from "@zpb/proto";
import { formatEnvelope } from "./format.js";

/**
 * Why `reply` is not the answer to `Envelope{ping{seq}}`, or undefined when it is a Pong with that seq.
 * An endpoint that sends our Ping back is an echo service, not a Ping/Pong server: say so by name.
 */
export function notPongFor(seq: bigint, reply: Envelope, endpoint: string): string | undefined {
  const p = reply.payload;
  if (p.case === "pong" && p.value.seq === seq) return undefined;
  const got = formatEnvelope(reply);
  if (p.case === "ping" && p.value.seq === seq) {
    return `${endpoint} sent our ping{seq: ${seq}} back instead of a Pong: this endpoint echoes (an echo service, not a Ping/Pong server)`;
  }
  return `${endpoint} answered ping{seq: ${seq}} with ${got}, not pong{seq: ${seq}}`;
}
