import { ping } from "@zpb/proto";
import { RemoteError, TimeoutError } from "../../errors.js";
import type { PipelinedClient } from "../../pipelined-client.js";
import { Latency } from "../latency.js";
import { notPongFor } from "../pong.js";
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
  /** Replies that were not the Pong asked for (an echo service, say): the run stops at the first. */
  wrongReplies: number;
  /** Why the first wrong reply was wrong, when there was one. */
  mismatch: string | undefined;
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
  options: { count: number; window: number; signal: AbortSignal; progress: Progress; endpoint: string },
): Promise<DealerTally> {
  const { count, window, signal, progress, endpoint } = options;
  const latency = new Latency();
  let next = 1;
  let lost = 0;
  let abandoned = 0;
  let errorReplies = 0;
  let consecutiveTimeouts = 0;
  let unreachable = false;
  let mismatch: string | undefined;
  let wrongReplies = 0;
  // One listener for the whole run (not one per request): Ctrl-C closes the client, which settles everything.
  const onAbort = () => void client.close();
  signal.addEventListener("abort", onAbort, { once: true });
  const started = performance.now();
  const caller = async () => {
    while (next <= count && !signal.aborted && !unreachable && mismatch === undefined) {
      const seq = next++;
      const sentAt = performance.now();
      try {
        const reply = await client.request(ping(seq));
        // Replies are matched by seq, so an echo service would pass for a server: check what came back.
        const wrong = notPongFor(BigInt(seq), reply, endpoint);
        if (wrong !== undefined) {
          wrongReplies++;
          mismatch ??= wrong;
          void client.close();
          return;
        }
        latency.record(performance.now() - sentAt);
        consecutiveTimeouts = 0;
        progress.update(latency.count + lost + errorReplies);
      } catch (error) {
        if ((error as { code?: string }).code === "CLOSED") {
          // In flight when we gave up on the server: lost. Cut short by Ctrl-C or a wrong reply: neither.
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
  const lostCount = sent - latency.count - errorReplies - wrongReplies;
  return { latency, sent, lost: lostCount, errorReplies, wrongReplies, mismatch, unreachable, elapsedMs };
}
