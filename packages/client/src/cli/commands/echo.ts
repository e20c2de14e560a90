import { Command } from "commander";
import { CLIENT_DEFAULTS } from "../../options.js";
import { EchoClient } from "../../echo-client.js";
import { TimeoutError } from "../../errors.js";
import { checkHostResolves } from "../endpoint.js";
import { attempts, CommandFailure } from "../failure.js";
import { endpointOption, jsonOption, retriesOption, timeoutOption } from "../options.js";
import { Output } from "../output.js";
import { clientCurve, curveTimeoutAdvice, withClientCurveOptions, type CurveFlags } from "../curve.js";

interface EchoFlags extends CurveFlags {
  endpoint: string;
  timeout: number;
  retries: number;
  json?: boolean;
}

/** `zpb echo TEXT`: the REQ/REP echo tutorial's client (`-> TEXT`, `<- TEXT`). */
export function echoCommand(signal: AbortSignal): Command {
  const command = new Command("echo")
    .description("send TEXT as raw bytes to the echo service and print what comes back (the echo tutorial's client)")
    .argument("[text]", "the text to send", "Hello world!")
    .addOption(endpointOption(CLIENT_DEFAULTS.endpoints.echo, "echo (REP/ROUTER) endpoint to connect to"))
    .addOption(timeoutOption())
    .addOption(retriesOption())
    .addOption(jsonOption());
  return withClientCurveOptions(command).action(async (text: string, flags: EchoFlags) => {
    await checkHostResolves(flags.endpoint);
    const out = new Output(flags.json ?? false);
    const curve = clientCurve(flags, out);
    const client = new EchoClient({
      endpoint: flags.endpoint,
      timeoutMs: flags.timeout,
      retries: flags.retries,
      ...(curve ? { curve } : {}),
    });
    out.note(`ZeroMQ client connecting to ${flags.endpoint}`);
    out.text(`-> ${text}`);
    const started = performance.now();
    try {
      const reply = await client.echoText(text, { signal });
      const ms = performance.now() - started;
      out.event(
        "echo",
        { sent: text, received: reply, ms: Math.round(ms * 1000) / 1000, ok: reply === text },
        `<- ${reply}`,
      );
      if (reply !== text) throw new CommandFailure("the reply differs from what was sent");
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw new CommandFailure(
          `no reply from ${flags.endpoint} after ${attempts(error.attempts)} of ${flags.timeout} ms: server unreachable or silent${curveTimeoutAdvice(flags)}`,
        );
      }
      throw error;
    } finally {
      client.close();
    }
  });
}
