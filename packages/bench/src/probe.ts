import type { CurveClientSocketOptions } from "./curve-keys.js";
import { Dealer } from "zeromq";
import { envelopeCodec, ping } from "@zpb/proto";

const EMPTY = Buffer.alloc(0);
/** A seq no load run uses, so a late probe reply is never mistaken for a measured one. */
const PROBE_SEQ = 0xffff_ffff_fff0n;

/** Thrown when a server never answered a Ping. */
export class ProbeTimeoutError extends Error {
  readonly code = "PROBE_TIMEOUT";
}

/**
 * Resolves once a zeromq server at `endpoint` answers a Ping with a Pong: the readiness test for
 * every request/reply server (REP, ROUTER, ours). Sends `[empty, ping]` like a REQ would, so REP
 * servers answer too, and re-sends every `intervalMs` until `timeoutMs`.
 */
export async function probeZmq(
  endpoint: string,
  timeoutMs = 10_000,
  intervalMs = 200,
  curve: CurveClientSocketOptions | undefined = undefined,
): Promise<void> {
  const socket = new Dealer({ linger: 0, receiveTimeout: intervalMs, ...curve });
  socket.connect(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      await socket.send([EMPTY, envelopeCodec.encode(ping(PROBE_SEQ))]);
      try {
        const frames = await socket.receive();
        const reply = envelopeCodec.decode(frames[frames.length - 1]!);
        if (reply.payload.case === "pong") return;
      } catch (err) {
        if ((err as { code?: string }).code !== "EAGAIN") throw err;
      }
    }
    throw new ProbeTimeoutError(`no Pong from ${endpoint} within ${timeoutMs} ms`);
  } finally {
    socket.close();
  }
}
