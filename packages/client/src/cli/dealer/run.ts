import { ping } from "@zpb/proto";
import { BadReplyError, RemoteError, TimeoutError } from "../../errors.js";
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
 * Sends `count` Pings through `client` with one caller per window slot (per `batch` slots with `batch` > 1,
 * each sending its next batch through requestMany(), the client's fastest path), each sending its next Ping
 * as soon as its last one settles, and counts what came back. Gives up on a server that never answers, or that
 * lets a whole window of requests in a row time out, instead of waiting out every request.
 */
export async function runDealer(
  client: PipelinedClient,
  options: {
    count: number;
    window: number;
    batch?: number;
    signal: AbortSignal;
    progress: Progress;
    endpoint: string;
  },
): Promise<DealerTally> {
  const { count, window, signal, progress, endpoint } = options;
  // requestMany() takes one window slot per request, so a batch is at most the window.
  const batch = Math.max(1, Math.min(options.batch ?? 1, window));
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
  // One reply (or an item's error) to `Envelope{ping{seq}}`, `roundTripMs` after it was sent; false once the
  // run must stop because the reply was not the Pong asked for.
  const take = (seq: number, reply: unknown, roundTripMs: number): boolean => {
    if (reply instanceof RemoteError) {
      errorReplies++;
      return true;
    }
    // Replies are matched by seq, so an echo service would pass for a server: check what came back.
    const wrong =
      reply instanceof BadReplyError
        ? `${endpoint}: ${reply.message}`
        : notPongFor(BigInt(seq), reply as never, endpoint);
    if (wrong !== undefined) {
      wrongReplies++;
      mismatch ??= wrong;
      void client.close();
      return false;
    }
    latency.record(roundTripMs);
    return true;
  };
  const caller = async () => {
    while (next <= count && !signal.aborted && !unreachable && mismatch === undefined) {
      const first = next;
      const size = Math.min(batch, count - first + 1);
      next += size;
      const sentAt = performance.now();
      try {
        if (batch === 1) {
          if (!take(first, await client.request(ping(first)), performance.now() - sentAt)) return;
        } else {
          const replies = await client.requestMany(Array.from({ length: size }, (_, i) => ping(first + i)));
          const roundTripMs = performance.now() - sentAt;
          for (let i = 0; i < size; i++) if (!take(first + i, replies[i], roundTripMs)) return;
        }
        consecutiveTimeouts = 0;
        progress.update(latency.count + lost + errorReplies);
      } catch (error) {
        if ((error as { code?: string }).code === "CLOSED") {
          // In flight when we gave up on the server: lost. Cut short by Ctrl-C or a wrong reply: neither.
          if (unreachable) lost += size;
          else abandoned += size;
          return;
        }
        if (error instanceof RemoteError) {
          errorReplies += size;
          consecutiveTimeouts = 0;
          continue;
        }
        if (!(error instanceof TimeoutError)) throw error;
        lost += size;
        consecutiveTimeouts += size;
        if (latency.count === 0 || consecutiveTimeouts >= window) {
          unreachable = true;
          void client.close();
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(Math.ceil(window / batch), Math.ceil(count / batch)) }, caller));
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
