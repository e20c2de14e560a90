// The settings machinery on a registry of its own: each kind from text and from a program, defaults that
// depend on earlier settings, rules across settings, the worker part, and commander options for each kind.
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { addSettings } from "./cli-options.js";
import { ServerError } from "./errors.js";
import { boolean, integer, oneOf, resolveSettings, text, workerPart, type Constraint } from "./setting.js";

const TEST_SETTINGS = {
  size: integer({ flag: "--size <n>", doc: "a size", default: 4, min: 1, max: 10, worker: true }),
  double: integer({
    flag: "--double <n>",
    doc: "twice size",
    default: (e) => 2 * (e.size as number),
    defaultText: "2 × size",
    min: 0,
  }),
  mode: oneOf({ flag: "--mode <m>", doc: "a mode", default: "a", choices: ["a", "b"] as const }),
  name: text({ flag: "--name <text>", doc: "a name", default: "x", worker: true }),
  insecure: boolean({ flag: "--insecure", doc: "a switch", default: false }),
};
const RULES: Constraint<typeof TEST_SETTINGS>[] = [(s) => (s.double < s.size ? "double below size" : undefined)];

function parse(args: string[]) {
  const program = new Command("t").exitOverride().configureOutput({ writeErr: () => undefined });
  const read = addSettings(program, TEST_SETTINGS);
  program.parse(["node", "t", ...args]);
  return read();
}

afterEach(() => vi.unstubAllEnvs());

describe("resolveSettings", () => {
  it("applies defaults in registry order, a computed one from the settings before it", () => {
    expect(resolveSettings(TEST_SETTINGS, {})).toEqual({ size: 4, double: 8, mode: "a", name: "x", insecure: false });
    expect(resolveSettings(TEST_SETTINGS, { size: 5 }).double).toBe(10);
  });

  it.each([
    [{ size: 11 }, "size must be an integer in 1..10, got 11"],
    [{ size: 2.5 }, "size must be an integer in 1..10, got 2.5"],
    [{ mode: "c" as never }, 'mode must be one of "a", "b", got "c"'],
    [{ name: "" }, "name must not be empty"],
    [{ insecure: "yes" as never }, "insecure must be true or false"],
    [{ size: 5, double: 4 }, "double below size"],
  ])("refuses %j with ServerError INVALID_OPTION: %s", (input, message) => {
    const attempt = () => resolveSettings(TEST_SETTINGS, input, RULES);
    expect(attempt).toThrow(ServerError);
    expect(attempt).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
    expect(attempt).toThrow(message);
  });

  it("picks the worker part", () => {
    expect(workerPart(TEST_SETTINGS, resolveSettings(TEST_SETTINGS, {}))).toEqual({ size: 4, name: "x" });
  });
});

describe("addSettings (commander)", () => {
  it("reads each kind from its flag", () => {
    expect(parse(["--size", "3", "--mode", "b", "--name", "n", "--insecure"])).toEqual({
      size: 3,
      mode: "b",
      name: "n",
      insecure: true,
    });
    expect(parse(["--insecure", "off"])).toEqual({ insecure: false });
  });

  it("reads a boolean's variable by its value: ZPB_INSECURE=0 says no", () => {
    vi.stubEnv("ZPB_INSECURE", "0");
    expect(parse([])).toEqual({ insecure: false });
    vi.stubEnv("ZPB_INSECURE", "yes");
    expect(parse([])).toEqual({ insecure: true });
    vi.stubEnv("ZPB_INSECURE", "maybe");
    expect(() => parse([])).toThrow(/ZPB_INSECURE/);
  });

  it("checks ranges and choices on flags and variables", () => {
    expect(() => parse(["--size", "0"])).toThrow(/--size/);
    vi.stubEnv("ZPB_MODE", "c");
    expect(() => parse([])).toThrow(/ZPB_MODE/);
  });
});
