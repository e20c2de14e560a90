import { Command, Option } from "commander";
import { ping } from "@zpb/proto";
import { CLIENT_DEFAULTS } from "../../options.js";
import { PipelinedClient } from "../../pipelined-client.js";
import { RemoteError, TimeoutError } from "../../errors.js";
import { checkHostResolves } from "../endpoint.js";
import { CommandFailure } from "../failure.js";
import { perSecond, seconds } from "../format.js";
import { Latency } from "../latency.js";
import { endpointOption, jsonOption, positive, progressOption, type CommonFlags } from "../options.js";
import { Output } from "../output.js";
import { notPongFor } from "../pong.js";
import { Progress } from "../progress.js";

interface DealerFlags extends CommonFlags {
  count: number;
  window: number;
  timeout: number;
}

/** `zpb dealer`: pipelined Pings over DEALER with a window, printing throughput, latency and lost count. */
export function dealerCommand(signal: AbortSignal): Command {
  return new Command("dealer")
    .description(
      "send pipelined Pings over DEALER (up to --window in flight), then print throughput, latency and lost count",
    )
    .addOption(endpointOption(CLIENT_DEFAULTS.endpoints.router, "ROUTER endpoint to connect to"))
    .addOption(new Option("-c, --count <n>", "how many Pings to send").default(10_000).argParser(positive))
    .addOption(
      new Option("-w, --window <n>", "requests in flight at once").default(CLIENT_DEFAULTS.window).argParser(positive),
    )
    .addOption(
      new Option("-t, --timeout <ms>", "reply timeout per request")
        .default(CLIENT_DEFAULTS.timeoutMs)
        .argParser(positive),
    )
    .addOption(jsonOption())
    .addOption(progressOption())
    .action(async (flags: DealerFlags) => {
      await checkHostResolves(flags.endpoint);
      const out = new Output(flags.json ?? false);
      const client = new PipelinedClient({ endpoint: flags.endpoint, window: flags.window, timeoutMs: flags.timeout });
      const latency = new Latency();
      const progress = new Progress("dealer", flags.count, flags.progress);
      let next = 1;
      let lost = 0;
      let abandoned = 0;
      let remoteErrors = 0;
      let consecutiveTimeouts = 0;
      let unreachable = false;
      let mismatch: string | undefined;
      let wrongReplies = 0;
      // One listener for the whole run (not one per request): Ctrl-C closes the client, which settles everything.
      const onAbort = () => void client.close();
      signal.addEventListener("abort", onAbort, { once: true });
      const started = performance.now();
      // One caller per window slot, each sending its next Ping as soon as its last one settles.
      const caller = async () => {
        while (next <= flags.count && !signal.aborted && !unreachable && mismatch === undefined) {
          const seq = next++;
          const sentAt = performance.now();
          try {
            const reply = await client.request(ping(seq));
            // Replies are matched by seq, so an echo service would pass for a server: check what came back.
            const wrong = notPongFor(BigInt(seq), reply, flags.endpoint);
            if (wrong !== undefined) {
              wrongReplies++;
              mismatch ??= wrong;
              void client.close();
              return;
            }
            latency.record(performance.now() - sentAt);
            consecutiveTimeouts = 0;
            progress.update(latency.count + lost + remoteErrors);
          } catch (error) {
            if ((error as { code?: string }).code === "CLOSED") {
              // In flight when we gave up on the server: lost. Cut short by Ctrl-C or a wrong reply: neither.
              if (unreachable) lost++;
              else abandoned++;
              return;
            }
            if (error instanceof RemoteError) {
              remoteErrors++; // answered, with an ErrorReply: not lost, and proof the server is alive
              consecutiveTimeouts = 0;
              continue;
            }
            if (!(error instanceof TimeoutError)) throw error;
            lost++;
            consecutiveTimeouts++;
            // Nothing back at all, or a full window of silence: the server is gone; don't wait out every request.
            if (latency.count === 0 || consecutiveTimeouts >= flags.window) {
              unreachable = true;
              void client.close();
            }
          }
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(flags.window, flags.count) }, caller));
      } finally {
        signal.removeEventListener("abort", onAbort);
        progress.stop();
        await client.close();
      }
      const elapsedMs = performance.now() - started;
      const received = latency.count;
      const sent = Math.min(next - 1, flags.count) - abandoned;
      const notAnswered = sent - received - remoteErrors - wrongReplies;
      out.event(
        "summary",
        {
          endpoint: flags.endpoint,
          window: flags.window,
          sent,
          received,
          lost: notAnswered,
          errorReplies: remoteErrors,
          wrongReplies,
          unmatched: client.stats.unmatched,
          elapsedMs: Math.round(elapsedMs),
          perSecond: perSecond(received, elapsedMs),
          latency: latency.summary() ?? null,
          ok: notAnswered === 0 && remoteErrors === 0 && wrongReplies === 0,
        },
        `${sent} sent, ${received} received, ${notAnswered} lost, ${remoteErrors} error replies, ${client.stats.unmatched} unmatched in ${seconds(elapsedMs)} s: ` +
          `${perSecond(received, elapsedMs)} req/s (window ${flags.window})\n${latency.line()}`,
      );
      if (mismatch !== undefined) throw new CommandFailure(mismatch);
      if (unreachable) {
        throw new CommandFailure(
          received === 0
            ? `no reply from ${flags.endpoint} within ${flags.timeout} ms: server unreachable or silent`
            : `${flags.endpoint} stopped answering (${flags.window} requests in a row timed out)`,
        );
      }
      if (notAnswered > 0 && !signal.aborted) throw new CommandFailure(`${notAnswered} request(s) lost`);
      if (remoteErrors > 0) throw new CommandFailure(`${remoteErrors} request(s) answered with an ErrorReply`);
    });
}
