import { CommandFailure } from "../failure.js";
import { perSecond, seconds } from "../format.js";
import type { Output } from "../output.js";
import type { DealerTally } from "./run.js";

/** What the summary names besides the tally. */
export interface DealerRunSettings {
  endpoint: string;
  window: number;
  batch: number;
  timeoutMs: number;
  /** Said after "server unreachable or silent" (e.g. how a CURVE key mismatch looks); "" when nothing applies. */
  timeoutAdvice: string;
}

/** Prints the run's summary: counts, messages per second and latency (text or one JSON record). */
export function reportDealer(out: Output, run: DealerRunSettings, tally: DealerTally, unmatched: number): void {
  const received = tally.latency.count;
  const rate = perSecond(received, tally.elapsedMs);
  out.event(
    "summary",
    {
      endpoint: run.endpoint,
      window: run.window,
      batch: run.batch,
      sent: tally.sent,
      received,
      lost: tally.lost,
      errorReplies: tally.errorReplies,
      wrongReplies: tally.wrongReplies,
      unmatched,
      elapsedMs: Math.round(tally.elapsedMs),
      perSecond: rate,
      latency: tally.latency.summary() ?? null,
      ok: tally.lost === 0 && tally.errorReplies === 0 && tally.wrongReplies === 0,
    },
    `${tally.sent} sent, ${received} received, ${tally.lost} lost, ${tally.errorReplies} error replies, ${unmatched} unmatched in ${seconds(tally.elapsedMs)} s: ` +
      `${rate} msgs/s (window ${run.window}, batch ${run.batch})\n${tally.latency.line()}`,
  );
}

/** Why the run counts as failed (exit 1), or undefined when it went well or was cut short by Ctrl-C. */
export function dealerFailure(
  run: DealerRunSettings,
  tally: DealerTally,
  aborted: boolean,
): CommandFailure | undefined {
  if (tally.mismatch !== undefined) return new CommandFailure(tally.mismatch);
  if (tally.unreachable) {
    return new CommandFailure(
      tally.latency.count === 0
        ? `no reply from ${run.endpoint} within ${run.timeoutMs} ms: server unreachable or silent${run.timeoutAdvice}`
        : `${run.endpoint} stopped answering (${run.window} requests in a row timed out)`,
    );
  }
  if (tally.lost > 0 && !aborted) return new CommandFailure(`${tally.lost} request(s) lost`);
  if (tally.errorReplies > 0) return new CommandFailure(`${tally.errorReplies} request(s) answered with an ErrorReply`);
  return undefined;
}
