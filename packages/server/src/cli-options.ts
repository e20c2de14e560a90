// Turns settings registries into commander options for zpb-server: each setting's flag, its ZPB_* variable
// (commander's Option.env: a flag beats the variable, the variable beats the default), its checks (a bad
// value is reported with the flag or the variable it came from) and a --help line with default and variable.
import { Help, InvalidArgumentError, Option, type Command } from "commander";
import { type AnySetting, type InputOf, InvalidSetting, type Registry } from "./setting.js";

/** The setting behind each commander option, for --help. */
const behind = new WeakMap<Option, AnySetting>();

function argParser(entry: AnySetting) {
  return (text: string, previous: unknown): unknown => {
    try {
      const value = entry.parse(text, previous);
      entry.check(value);
      return value;
    } catch (error) {
      if (error instanceof InvalidSetting) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/**
 * Adds one option per setting of `registry` to `program` (no commander defaults: defaults are applied once,
 * when the settings are resolved), and returns a function that reads what the user gave after parsing.
 */
export function addSettings<R extends Registry>(program: Command, registry: R): () => InputOf<R> {
  const attributes: Array<[name: string, attribute: string]> = [];
  for (const [name, entry] of Object.entries(registry)) {
    const boolean = !/[<[]/.test(entry.flag);
    const option = new Option(boolean ? `${entry.flag} [bool]` : entry.flag, entry.doc).env(entry.env);
    if (entry.choices !== undefined) option.choices(entry.choices);
    if (boolean) option.preset("true");
    option.argParser(argParser(entry));
    behind.set(option, entry);
    program.addOption(option);
    if (entry.negatable) {
      const long = option.long!.slice(2);
      program.addOption(new Option(`--no-${long}`, `same as --${long} false/off`));
    }
    attributes.push([name, option.attributeName()]);
  }
  return () => {
    const opts = program.opts<Record<string, unknown>>();
    const input: Record<string, unknown> = {};
    for (const [name, attribute] of attributes) if (opts[attribute] !== undefined) input[name] = opts[attribute];
    return input as InputOf<R>;
  };
}

/** --help lines: the setting's doc, then its choices, default and environment variable. */
export function settingsHelp(program: Command): Command {
  const base = new Help();
  return program.configureHelp({
    optionDescription: (option: Option): string => {
      const entry = behind.get(option);
      if (entry === undefined) return base.optionDescription(option);
      const extra = [
        ...(entry.choices === undefined ? [] : [`choices: ${entry.choices.join(", ")}`]),
        `default: ${entry.defaultText}`,
        `env: ${entry.env}`,
      ];
      return `${entry.doc.replace(/`/g, "")} (${extra.join("; ")})`;
    },
  });
}
