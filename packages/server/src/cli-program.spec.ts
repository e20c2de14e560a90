// zpb-server's command line as derived from the settings registries: every setting has a flag and a ZPB_*
// variable listed in --help, a flag beats its variable and a variable beats the default, a bad value names
// where it came from, and --version / --log-level / JSON logs do what they say.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { killChildrenAfterEach } from "@zpb/test-support/vitest";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { statsFields } from "./cli-log.js";
import { cliProgram, parseCli } from "./cli-program.js";
import { CLI_SETTINGS } from "./cli-settings.js";
import { resolveOptions } from "./options.js";
import type { AnySetting } from "./setting.js";
import { SERVER_SETTINGS } from "./settings.js";
import { collectStats, createCounterMemory, slotView } from "./stats.js";
import { runCli } from "./test-support/cli-process.js";

const ALL: Array<[string, AnySetting]> = [...Object.entries(SERVER_SETTINGS), ...Object.entries(CLI_SETTINGS)];
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Commander throws instead of exiting, and its error text is kept. */
function quiet(errors: string[]) {
  return (program: Command): void => {
    program.exitOverride().configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
  };
}

const argv = (...args: string[]) => ["node", "zpb-server", ...args];

beforeEach(() => {
  // Whatever the environment running the tests sets must not leak in.
  for (const [, entry] of ALL) vi.stubEnv(entry.env, undefined);
});
killChildrenAfterEach();
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("the settings registries", () => {
  it("name each variable ZPB_ + the flag's name, and keep every flag zpb-server has always had", () => {
    for (const [, entry] of ALL)
      expect(entry.env).toBe(`ZPB_${/^--([a-z-]+)/.exec(entry.flag)![1]!.replace(/-/g, "_").toUpperCase()}`);
    const flags = ALL.map(([, entry]) => entry.flag.split(" ")[0]);
    for (const flag of [
      "--bind",
      "--echo",
      "--workers",
      "--handler",
      "--stats-interval",
      "--max-payload",
      "--max-message-size",
      "--concurrency",
      "--request-hwm",
      "--reply-hwm",
      "--drain-timeout",
      "--forwarder",
      "--log-format",
      "--log-level",
    ])
      expect(flags).toContain(flag);
  });

  it("list every setting's flag, default and variable in --help", () => {
    // Commander wraps lines to the terminal's width: compare with the wrapping undone.
    const help = cliProgram().program.helpInformation().replace(/\s+/g, " ");
    for (const [, entry] of ALL) {
      expect(help).toContain(entry.flag);
      expect(help).toContain(`env: ${entry.env}`);
    }
    expect(help).toContain("--no-echo");
    expect(help).toContain("--version");
    expect(help).toContain("default: 32; env: ZPB_REQUEST_HWM");
  });
});

describe("parseCli", () => {
  it("gives only what was asked for (defaults are applied once, by resolveOptions)", () => {
    const { options, cli } = parseCli(argv());
    expect(options).toEqual({});
    expect(cli).toEqual({ statsInterval: 10_000, logFormat: "pretty", logLevel: "info" });
    expect(resolveOptions(options).requestHighWaterMark).toBe(32);
  });

  it("reads every setting with a fixed default from its ZPB_* variable", () => {
    for (const [name, entry] of ALL) {
      // Computed defaults, and "none" (an optional setting such as curveKey), have no text to give.
      if (typeof entry.default === "function" || entry.default === undefined) continue;
      vi.stubEnv(entry.env, entry.defaultText);
      const { options, cli } = parseCli(argv());
      const got = { ...options, ...cli } as Record<string, unknown>;
      expect(got[name], entry.env).toEqual(entry.default);
      vi.stubEnv(entry.env, undefined);
    }
  });

  it.each([
    [
      "ZPB_BIND",
      "tcp://127.0.0.1:1 tcp://127.0.0.1:2,ipc:///tmp/x",
      { bind: ["tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "ipc:///tmp/x"] },
    ],
    ["ZPB_ECHO", "off", { echo: false }],
    ["ZPB_ECHO", "tcp://127.0.0.1:9", { echo: "tcp://127.0.0.1:9" }],
    ["ZPB_WORKERS", "3", { workers: 3 }],
    ["ZPB_HANDLER", "echo", { handler: "echo" }],
    ["ZPB_MAX_PAYLOAD", "2048", { maxPayload: 2048 }],
    ["ZPB_MAX_MESSAGE_SIZE", "4096", { maxMessageSize: 4096 }],
    ["ZPB_CONCURRENCY", "8", { concurrency: 8 }],
    ["ZPB_REQUEST_HWM", "50", { requestHighWaterMark: 50 }],
    ["ZPB_REPLY_HWM", "7", { replyHighWaterMark: 7 }],
    ["ZPB_DRAIN_TIMEOUT", "10", { drainTimeout: 10 }],
    ["ZPB_LINGER", "0", { linger: 0 }],
    ["ZPB_FORWARDER", "js", { forwarder: "js" }],
  ])("reads %s=%s", (env, value, expected) => {
    vi.stubEnv(env, value);
    expect(parseCli(argv()).options).toEqual(expected);
  });

  it("reads the CLI's own settings from ZPB_STATS_INTERVAL, ZPB_LOG_FORMAT and ZPB_LOG_LEVEL", () => {
    vi.stubEnv("ZPB_STATS_INTERVAL", "0");
    vi.stubEnv("ZPB_LOG_FORMAT", "json");
    vi.stubEnv("ZPB_LOG_LEVEL", "warn");
    expect(parseCli(argv()).cli).toEqual({ statsInterval: 0, logFormat: "json", logLevel: "warn" });
  });

  it("takes a flag over its variable, and the variable over the default", () => {
    vi.stubEnv("ZPB_WORKERS", "3");
    vi.stubEnv("ZPB_BIND", "tcp://127.0.0.1:1");
    vi.stubEnv("ZPB_ECHO", "tcp://127.0.0.1:9");
    vi.stubEnv("ZPB_LOG_LEVEL", "error");
    const flags = parseCli(argv("--workers", "2", "--bind", "tcp://127.0.0.1:5", "tcp://127.0.0.1:6", "--no-echo"));
    expect(flags.options).toEqual({ workers: 2, bind: ["tcp://127.0.0.1:5", "tcp://127.0.0.1:6"], echo: false });
    expect(flags.cli.logLevel).toBe("error");
    expect(resolveOptions(flags.options).workers).toBe(2);
    const env = parseCli(argv());
    expect(env.options).toEqual({ workers: 3, bind: ["tcp://127.0.0.1:1"], echo: "tcp://127.0.0.1:9" });
    expect(resolveOptions(env.options).workers).toBe(3);
    vi.stubEnv("ZPB_WORKERS", undefined);
    expect(parseCli(argv()).options.workers).toBeUndefined();
  });

  it.each([
    ["ZPB_REQUEST_HWM", "0", "must be an integer ≥ 1, got 0"],
    ["ZPB_WORKERS", "two", 'must be an integer, got "two"'],
    ["ZPB_FORWARDER", "tcp", 'must be one of "proxy", "js", got "tcp"'],
    ["ZPB_LOG_LEVEL", "loud", "must be one of"],
    ["ZPB_ECHO", "", "must be an endpoint"],
  ])("refuses %s=%j naming the variable and the value", (env, value, why) => {
    vi.stubEnv(env, value);
    const errors: string[] = [];
    expect(() => parseCli(argv(), quiet(errors))).toThrow(/is invalid/);
    const message = errors.join("");
    expect(message).toContain(`from env '${env}'`);
    expect(message).toContain(`'${value}'`);
    expect(message).toContain(why);
  });

  it("refuses a bad flag value naming the flag", () => {
    const errors: string[] = [];
    expect(() => parseCli(argv("--concurrency", "0"), quiet(errors))).toThrow();
    expect(errors.join("")).toContain(
      "option '--concurrency <n>' argument '0' is invalid. must be an integer ≥ 1, got 0",
    );
  });
});

describe("zpb-server (the built CLI)", () => {
  it("prints package.json's version with --version and -V", async () => {
    for (const flag of ["--version", "-V"]) {
      const run = await runCli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  it("logs at the level asked for", async () => {
    // An endpoint libzmq refuses: the server cannot start and logs that at level "error".
    const args = ["--bind", "bogus://nowhere", "--no-echo", "--workers", "1", "--log-format", "json"];
    const atError = await runCli([...args, "--log-level", "error"]);
    expect(atError.code).toBe(1);
    const lines = atError.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(lines.some((line) => line.level === 50 && line.msg.includes("could not start"))).toBe(true);
    const atFatal = await runCli(args, { ZPB_LOG_LEVEL: "fatal" });
    expect(atFatal.code).toBe(1);
    expect(atFatal.stdout).toBe("");
  });
});

describe("statsFields (what JSON logs carry)", () => {
  it("keeps numbers as numbers: each worker's share is a fraction, not a percentage string", () => {
    const memory = createCounterMemory(2);
    slotView(memory, 0)[0] = 3;
    slotView(memory, 1)[0] = 1;
    const fields = statsFields(collectStats(memory, 2, 0, 2, 10)) as Record<string, unknown>;
    expect(fields.share).toEqual([0.75, 0.25]);
    expect(fields.requests).toBe(4);
    expect(JSON.parse(JSON.stringify(fields)).share).toEqual([0.75, 0.25]);
  });
});
