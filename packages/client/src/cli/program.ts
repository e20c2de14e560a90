import { Command } from "commander";
import { dealerCommand } from "./commands/dealer.js";
import { echoCommand } from "./commands/echo.js";
import { forwardCommand } from "./commands/forward.js";
import { keygenCommand } from "./commands/keygen.js";
import { pingCommand } from "./commands/ping.js";
import { publishCommand } from "./commands/publish.js";
import { subscribeCommand } from "./commands/subscribe.js";

/** The `zpb` program; every command stops early (and still prints its summary) when `signal` fires. */
export function zpbProgram(signal: AbortSignal, version: string): Command {
  const program = new Command("zpb")
    .description("Protobuf over ZeroMQ from the command line: ping, echo, publish, subscribe, dealer, forward, keygen")
    .version(version)
    .showHelpAfterError()
    .addCommand(pingCommand(signal))
    .addCommand(echoCommand(signal))
    .addCommand(publishCommand(signal))
    .addCommand(subscribeCommand(signal))
    .addCommand(dealerCommand(signal))
    .addCommand(forwardCommand(signal))
    .addCommand(keygenCommand())
    .exitOverride();
  // addCommand() does not pass settings down: errors must throw (not process.exit) everywhere.
  for (const command of program.commands) command.exitOverride().showHelpAfterError();
  return program;
}
