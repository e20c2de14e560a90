import { Command, Option } from "commander";
import { Forwarder } from "@zpb/transport";
import { endpointArgument } from "../endpoint.js";
import { count, jsonOption } from "../options.js";
import { Output } from "../output.js";

interface ForwardFlags {
  hwm: number;
  linger: number;
  json?: boolean;
}

/** `zpb forward`: libzmq's XSUB→XPUB proxy, so many publishers reach many subscribers through one address. */
export function forwardCommand(signal: AbortSignal): Command {
  return new Command("forward")
    .description("forward PUB/SUB: publishers connect to XSUB, subscribers to XPUB (until Ctrl-C)")
    .argument("<xsub>", "endpoint to bind for publishers (`zpb publish --connect -e …`)", endpointArgument(true))
    .argument("<xpub>", "endpoint to bind for subscribers (`zpb subscribe -e …`)", endpointArgument(true))
    .addOption(
      new Option(
        "--hwm <n>",
        "high-water mark of each side: messages queued per subscriber (dropped beyond, as by a PUB) and per publisher; 0 = unlimited",
      )
        .default(100_000)
        .argParser(count),
    )
    .addOption(
      new Option("--linger <ms>", "on exit, how long queued messages may still go out").default(0).argParser(count),
    )
    .addOption(jsonOption())
    .action(async (publishers: string, subscribers: string, flags: ForwardFlags) => {
      const out = new Output(flags.json ?? false);
      const forwarder = await Forwarder.start({
        publishers,
        subscribers,
        sendHighWaterMark: flags.hwm,
        receiveHighWaterMark: flags.hwm,
        linger: flags.linger,
      });
      const { endpoints } = forwarder;
      out.event(
        "forwarding",
        { publishers: endpoints.publishers, subscribers: endpoints.subscribers, hwm: flags.hwm },
        `forwarding: publishers connect to ${endpoints.publishers}, subscribers to ${endpoints.subscribers} (hwm ${flags.hwm})`,
      );
      const stopped = new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      // The proxy only ends on its own when it fails: that is the command's failure.
      const failed = forwarder.done.then(() => undefined);
      try {
        await Promise.race([stopped, failed]);
      } finally {
        await forwarder.stop();
      }
      out.event("summary", { stopped: true }, "forwarder stopped");
    });
}
