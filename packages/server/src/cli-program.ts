// zpb-server's command line, derived from the settings registries: one flag and one ZPB_* variable per
// setting, --version and --help. Kept apart from cli.ts so tests can parse without starting anything.
import { Command } from "commander";
import { addSettings, settingsHelp } from "./cli-options.js";
import { CLI_SETTINGS, type CliSettings } from "./cli-settings.js";
import type { ServerOptions } from "./options.js";
import { resolveSettings } from "./setting.js";
import { SERVER_SETTINGS } from "./settings.js";
import { VERSION } from "./version.js";

/** What the command line asked for: the server's options (only those given) and the CLI's own settings. */
export interface ParsedCli {
  options: ServerOptions;
  cli: CliSettings;
}

/** The zpb-server program; `configure` lets tests make commander throw instead of exiting. */
export function cliProgram(configure: (program: Command) => void = () => undefined): {
  program: Command;
  read: () => ParsedCli;
} {
  const program = new Command("zpb-server")
    .description("Serve zpb Envelopes (Ping → Pong by default) on a ROUTER front with a pool of worker threads.")
    .version(VERSION, "-V, --version", "print the version and exit")
    .showHelpAfterError("(zpb-server --help lists every flag)")
    .addHelpText(
      "after",
      "\nEach flag can also be set by its ZPB_* variable; a flag beats its variable, a variable beats the default.",
    );
  configure(program);
  settingsHelp(program);
  const server = addSettings(program, SERVER_SETTINGS);
  const cli = addSettings(program, CLI_SETTINGS);
  return { program, read: () => ({ options: server(), cli: resolveSettings(CLI_SETTINGS, cli()) }) };
}

/** Parses argv (and ZPB_* variables) into server options plus the CLI's own settings. */
export function parseCli(argv: string[], configure?: (program: Command) => void): ParsedCli {
  const { program, read } = cliProgram(configure);
  program.parse(argv);
  return read();
}
