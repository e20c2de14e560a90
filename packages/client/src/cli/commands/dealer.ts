import { Command, Option } from "commander";
import { CLIENT_DEFAULTS } from "../../options.js";
import { PipelinedClient } from "../../pipelined-client.js";
import { clientCurve, curveTimeoutAdvice, withClientCurveOptions, type CurveFlags } from "../curve.js";
import { dealerFailure, reportDealer } from "../dealer/report.js";
import { runDealer } from "../dealer/run.js";
import { checkHostResolves } from "../endpoint.js";
import { count, endpointsOption, jsonOption, positive, progressOption, type CommonFlags } from "../options.js";
import { Output } from "../output.js";
import { Progress } from "../progress.js";

interface DealerFlags extends Omit<CommonFlags, "endpoint">, CurveFlags {
  endpoint: string[];
  retries: number;
  count: number;
  window: number;
  timeout: number;
  batch: number;
}

/** `zpb dealer`: pipelined Pings over DEALER with a window, printing messages per second, latency and lost count. */
export function dealerCommand(signal: AbortSignal): Command {
  const command = new Command("dealer")
    .description(
      "send pipelined Pings over DEALER (up to --window in flight), then print messages per second, latency and lost count",
    )
    .addOption(endpointsOption(CLIENT_DEFAULTS.endpoints.router, "ROUTER endpoint to connect to"))
    .addOption(new Option("-c, --count <n>", "how many Pings to send").default(10_000).argParser(positive))
    .addOption(
      new Option("-w, --window <n>", "requests in flight at once").default(CLIENT_DEFAULTS.window).argParser(positive),
    )
    .addOption(
      new Option("-t, --timeout <ms>", "reply timeout per request")
        .default(CLIENT_DEFAULTS.timeoutMs)
        .argParser(positive),
    )
    .addOption(
      new Option("-r, --retries <n>", "resend a Ping that timed out (or was refused as unavailable) up to n times")
        .default(0)
        .argParser(count),
    )
    .addOption(
      new Option(
        "-b, --batch <n>",
        "pack up to n requests into one ZeroMQ message (1 = off; needs a server that speaks batches, as zpb's does)",
      )
        .default(CLIENT_DEFAULTS.maxBatch)
        .argParser(positive),
    )
    .addOption(jsonOption())
    .addOption(progressOption());
  return withClientCurveOptions(command).action(async (flags: DealerFlags) => {
    for (const endpoint of flags.endpoint) await checkHostResolves(endpoint);
    const where = flags.endpoint.join(", ");
    const out = new Output(flags.json ?? false);
    const curve = clientCurve(flags, out);
    const run = {
      endpoint: where,
      window: flags.window,
      batch: flags.batch,
      timeoutMs: flags.timeout,
      timeoutAdvice: curveTimeoutAdvice(flags),
    };
    const client = new PipelinedClient({
      endpoints: flags.endpoint,
      retries: flags.retries,
      window: flags.window,
      timeoutMs: flags.timeout,
      maxBatch: flags.batch,
      ...(curve ? { curve } : {}),
    });
    const progress = new Progress("dealer", flags.count, flags.progress);
    const tally = await runDealer(client, {
      count: flags.count,
      window: flags.window,
      batch: flags.batch,
      signal,
      progress,
      endpoint: where,
    });
    reportDealer(out, run, tally, client.stats.unmatched);
    const failure = dealerFailure(run, tally, signal.aborted);
    if (failure !== undefined) throw failure;
  });
}
