import { Command, Option } from "commander";
import { CLIENT_DEFAULTS } from "../../options.js";
import { Subscription } from "../../subscription.js";
import { checkHostResolves } from "../endpoint.js";
import { CommandFailure } from "../failure.js";
import { envelopeRecord, formatEnvelope, perSecond, seconds } from "../format.js";
import { count, endpointOption, jsonOption, progressOption, type CommonFlags } from "../options.js";
import { Output } from "../output.js";
import { Progress } from "../progress.js";
import { clientCurve, curveTimeoutAdvice, withClientCurveOptions, type CurveFlags } from "../curve.js";

interface SubscribeFlags extends CommonFlags, CurveFlags {
  topic: string[];
  count: number;
  timeout: number;
  hwm: number;
  quiet?: boolean;
}

/**
 * `zpb subscribe`: the SUB side of the Rust prost + zmq example; prints messages, then msgs/s and seq gaps (lost
 * messages).
 */
export function subscribeCommand(signal: AbortSignal): Command {
  const command = new Command("subscribe")
    .description("connect a SUB socket, print each decoded message, then msgs/s and gaps in seq (lost messages)")
    .addOption(endpointOption(CLIENT_DEFAULTS.endpoints.publish, "PUB endpoint to connect to"))
    .addOption(new Option("--topic <topic...>", 'topic prefix(es) to subscribe to ("" = all)').default(["PING"]))
    .addOption(
      new Option("-c, --count <n>", "stop after n messages (0 = until Ctrl-C or --timeout of silence)")
        .default(0)
        .argParser(count),
    )
    .addOption(
      new Option("-t, --timeout <ms>", "stop after this long without a message (0 = wait forever)")
        .default(5000)
        .argParser(count),
    )
    .addOption(new Option("--hwm <n>", "receive high-water mark (0 = unlimited)").default(100_000).argParser(count))
    .addOption(new Option("-q, --quiet", "print only the summary, not each message"))
    .addOption(jsonOption())
    .addOption(progressOption());
  return withClientCurveOptions(command).action(async (flags: SubscribeFlags) => {
    await checkHostResolves(flags.endpoint);
    const out = new Output(flags.json ?? false);
    const curve = clientCurve(flags, out);
    const subscription = new Subscription({
      ...(curve ? { curve } : {}),
      endpoint: flags.endpoint,
      topics: flags.topic,
      signal,
      socket: { receiveHighWaterMark: flags.hwm },
    });
    const progress = new Progress("subscribe", flags.count, flags.progress && (flags.quiet ?? false));
    out.note(`subscribed to ${flags.topic.map((t) => JSON.stringify(t)).join(", ")} on ${flags.endpoint}`);
    let first = 0;
    let last = 0;
    // One watchdog timer for the whole run instead of a timer per message (see Subscription's hot path):
    // it re-arms for what is left of --timeout, and closes the subscription after that long of silence.
    let silent = false;
    let watchdog: NodeJS.Timeout | undefined;
    const started = performance.now();
    const watch = (ms: number) => {
      watchdog = setTimeout(() => {
        const quietFor = performance.now() - (last || started);
        if (quietFor < flags.timeout) return watch(flags.timeout - quietFor);
        silent = true;
        subscription.close();
      }, ms);
    };
    if (flags.timeout > 0) watch(flags.timeout);
    try {
      for await (const m of subscription) {
        last = performance.now();
        if (first === 0) first = last;
        if (!flags.quiet) {
          const gap = m.missed > 0 ? ` (missed ${m.missed})` : "";
          out.event(
            "message",
            { topic: m.topic, missed: m.missed, ...envelopeRecord(m.message) },
            `${m.topic} ${formatEnvelope(m.message)}${gap}`,
          );
        }
        progress.update(subscription.stats.received);
        if (flags.count > 0 && subscription.stats.received >= flags.count) break;
      }
    } finally {
      clearTimeout(watchdog);
      progress.stop();
      subscription.close();
    }
    const s = subscription.stats;
    const spanMs = last - first;
    out.event(
      "summary",
      {
        endpoint: flags.endpoint,
        topics: flags.topic,
        ...s,
        elapsedMs: Math.round(spanMs),
        perSecond: perSecond(s.received, spanMs),
      },
      `received ${s.received} messages in ${seconds(spanMs)} s (${perSecond(s.received, spanMs)} msgs/s); ` +
        `gaps ${s.gaps}, lost ${s.lost}, out of order ${s.outOfOrder}, undecodable ${s.undecodable}`,
    );
    if (silent && s.received === 0)
      throw new CommandFailure(
        `no message from ${flags.endpoint} within ${flags.timeout} ms${curveTimeoutAdvice(flags)}`,
      );
    if (silent && flags.count > 0) {
      throw new CommandFailure(
        `received ${s.received} of ${flags.count} messages; nothing more from ${flags.endpoint} for ${flags.timeout} ms`,
      );
    }
  });
}
