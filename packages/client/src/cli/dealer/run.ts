import { ping } from "@zpb/proto";
import { RemoteError, TimeoutError } from "../../errors.js";
import type { PipelinedClient } from "../../pipelined-client.js";
import { Latency } from "../latency.js";
import type { Progress } from "../progress.js";

/** How one `zpb dealer` run went, counted by its callers. */
export interface DealerTally {
  /** Round trips of the answered requests (its count is the number received). */
  latency: Latency;
  /** Requests sent (handed to the client and not cut short by Ctrl-C). */
  sent: number;
  /** Requests that timed out, or were in flight when the server was given up on. */
  lost: number;
  /** Requests answered with an ErrorReply: not lost, and proof the server is alive. */
  errorReplies: number;
  /** True when the run stopped because the server stopped answering. */
  unreachable: boolean;
  elapsedMs: number;
}

/**
 * Sends `count` Pings through `client` with one caller per window slot, each sending its next Ping as soon
 * as its last one settles, and counts what came back. Gives up on a server that never answers, or that
 * lets a whole window of requests in a row time out, instead of waiting out every request.
 */
export async function runDealer(
  client: PipelinedClient,
  options: { count: number; window: number; signal: AbortSignal; progress: Progress },
): Promise<DealerTally> {
  const { count, window, signal, progress } = options;
  const latency = new Latency();
  let next = 1;
  let lost = 0;
  let abandoned = 0;
  let errorReplies = 0;
  let consecutiveTimeouts = 0;
  let unreachable = false;
  // One listener for the whole run (not one per request): Ctrl-C closes the client, which settles everything.
  const onAbort = () => void client.close();
  signal.addEventListener("abort", onAbort, { once: true });
  const started = performance.now();
  const caller = async () => {
    while (next <= count && !signal.aborted && !unreachable) {
      const seq = next++;
      const sentAt = performance.now();
      try {
        await client.request(ping(seq));
        latency.record(performance.now() - sentAt);
        consecutiveTimeouts = 0;
        progress.update(latency.count + lost + errorReplies);
      } catch (error) {
        if ((error as { code?: string }).code === "CLOSED") {
          // In flight when we gave up on the server: lost. Cut short by Ctrl-C: neither sent nor lost.
          if (unreachable) lost++;
          else abandoned++;
          return;
        }
        if (error instanceof RemoteError) {
          errorReplies++;
          consecutiveTimeouts = 0;
          continue;
        }
        if (!(error instanceof TimeoutError)) throw error;
        lost++;
        consecutiveTimeouts++;
        if (latency.count === 0 || consecutiveTimeouts >= window) {
          unreachable = true;
          void client.close();
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(window, count) }, caller));
  } finally {
    signal.removeEventListener("abort", onAbort);
    progress.stop();
    await client.close();
  }
  const elapsedMs = performance.now() - started;
  const sent = Math.min(next - 1, count) - abandoned;
  // What was sent and neither answered nor refused is lost, whether it timed out or was cut off by close().
  return { latency, sent, lost: sent - latency.count - errorReplies, errorReplies, unreachable, elapsedMs };
}
