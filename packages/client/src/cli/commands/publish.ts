import { Command, Option } from "commander";
import { ping } from "@zpb/proto";
import { CLIENT_DEFAULTS } from "../../options.js";
import { TopicPublisher } from "../../publisher.js";
import { CommandFailure } from "../failure.js";
import { perSecond, seconds } from "../format.js";
import { count, endpointOption, jsonOption, positive, progressOption, rate, type CommonFlags } from "../options.js";
import { Output } from "../output.js";
import { Progress } from "../progress.js";
import { publisherCurve, withServerCurveOptions, type CurveFlags } from "../curve.js";

interface PublishFlags extends CommonFlags, CurveFlags {
  connect?: boolean;
  topic: string;
  count: number;
  rate: number;
  waitSubscribers: number;
  timeout: number;
  hwm: number;
  linger: number;
  batch: number;
}

/** `zpb publish`: the PUB side of the Rust prost + zmq example, Ping{seq} under a topic, paced and bounded. */
export function publishCommand(signal: AbortSignal): Command {
  const command = new Command("publish")
    .description(
      "bind a PUB socket and publish Envelope{ping{seq}} messages (seq 1, 2, …) under a topic, as pyzmq and Rust publishers do",
    )
    .addOption(endpointOption(CLIENT_DEFAULTS.endpoints.publish, "endpoint to bind the PUB socket on", { bind: true }))
    .addOption(
      new Option("--connect", "connect to the endpoint instead of binding it (a `zpb forward` publisher side)"),
    )
    .addOption(new Option("--topic <topic>", "topic frame sent before each message").default("PING"))
    .addOption(
      new Option("-c, --count <n>", "how many messages to publish (0 = until Ctrl-C)").default(0).argParser(count),
    )
    .addOption(
      new Option("--rate <msgs/s>", "messages per second (0 = as fast as possible)").default(0).argParser(rate),
    )
    .addOption(
      new Option("--wait-subscribers <n>", "wait for n subscribers of the topic before publishing")
        .default(0)
        .argParser(count),
    )
    .addOption(
      new Option("-t, --timeout <ms>", "how long --wait-subscribers may wait").default(5000).argParser(positive),
    )
    .addOption(
      new Option("--hwm <n>", "send high-water mark per subscriber (PUB drops beyond it; 0 = unlimited)")
        .default(100_000)
        .argParser(count),
    )
    .addOption(
      new Option("--linger <ms>", "on exit, how long queued messages may still be delivered")
        .default(CLIENT_DEFAULTS.publisherLinger)
        .argParser(count),
    )
    .addOption(jsonOption())
    .addOption(
      new Option(
        "-b, --batch <n>",
        "pack up to n messages into one ZeroMQ message (1 = off; only zpb subscribers read batches)",
      )
        .default(CLIENT_DEFAULTS.publishBatch)
        .argParser(positive),
    )
    .addOption(progressOption());
  return withServerCurveOptions(command).action(async (flags: PublishFlags) => {
    const out = new Output(flags.json ?? false);
    const curve = publisherCurve(flags, out);
    const socket = { sendHighWaterMark: flags.hwm, linger: flags.linger };
    if (flags.connect && curve) throw new CommandFailure("--connect (to a forwarder) works without CURVE keys");
    const publisher = flags.connect
      ? TopicPublisher.connect({ endpoint: flags.endpoint, socket, batch: flags.batch })
      : await TopicPublisher.bind({
          endpoint: flags.endpoint,
          ...(curve ? { curve } : {}),
          socket,
          batch: flags.batch,
        });
    const progress = new Progress("publish", flags.count, flags.progress);
    try {
      out.note(`publishing on ${publisher.endpoint}, topic "${flags.topic}"`);
      if (publisher.publicKey !== undefined) {
        const who = flags.authorizedKeys
          ? `subscribers listed in ${flags.authorizedKeys}`
          : "any subscriber with the key";
        out.note(`CURVE: encrypted; public key ${publisher.publicKey}; accepting ${who}`);
      }
      if (flags.waitSubscribers > 0) {
        try {
          await publisher.waitForSubscribers(flags.waitSubscribers, { topic: flags.topic, timeoutMs: flags.timeout });
        } catch {
          throw new CommandFailure(
            `fewer than ${flags.waitSubscribers} subscriber(s) to "${flags.topic}" on ${publisher.endpoint} within ${flags.timeout} ms`,
          );
        }
      }
      const result = await publisher.publishMany({
        topic: flags.topic,
        count: flags.count === 0 ? Infinity : flags.count,
        rate: flags.rate,
        message: (i) => ping(i),
        signal,
        onProgress: (sent) => progress.update(sent),
      });
      progress.stop();
      out.event(
        "summary",
        {
          endpoint: publisher.endpoint,
          topic: flags.topic,
          batch: flags.batch,
          sent: result.sent,
          elapsedMs: Math.round(result.elapsedMs),
          perSecond: perSecond(result.sent, result.elapsedMs),
        },
        `published ${result.sent} messages on "${flags.topic}" in ${seconds(result.elapsedMs)} s (${perSecond(result.sent, result.elapsedMs)} msgs/s, batch ${flags.batch})`,
      );
    } finally {
      progress.stop();
      publisher.close();
    }
  });
}
