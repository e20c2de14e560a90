import { describe, expect, it } from "vitest";
import { DEFAULT_ENDPOINTS } from "@zpb/transport";
import { availableParallelism } from "node:os";
import { DEFAULTS, resolveOptions } from "./options.js";
import { ServerError } from "./errors.js";

describe("resolveOptions", () => {
  it("defaults to the seed's endpoints, echo, one worker per core and the ping handler", () => {
    const o = resolveOptions();
    expect(o.bind).toEqual([DEFAULT_ENDPOINTS.reply, DEFAULT_ENDPOINTS.router]);
    expect(o.bind).toEqual(["tcp://127.0.0.1:5555", "tcp://127.0.0.1:7000"]);
    expect(o.echo).toBe("tcp://127.0.0.1:25933");
    expect(o.workers).toBe(availableParallelism());
    expect(o.handler).toBe("ping");
    expect(o.maxPayload).toBe(DEFAULTS.maxPayload);
    expect(o.maxMessageSize).toBeGreaterThanOrEqual(o.maxPayload);
    expect(o.replyHighWaterMark).toBe(0);
    expect(o.forwarder).toBe("proxy");
  });

  it("raises the hard cap with a large maxPayload and refuses a cap below it", () => {
    expect(resolveOptions({ maxPayload: 64 * 1024 * 1024 }).maxMessageSize).toBe(256 * 1024 * 1024);
    expect(() => resolveOptions({ maxPayload: 2048, maxMessageSize: 1024 })).toThrow(ServerError);
  });

  it.each([
    [{ workers: 0 }],
    [{ workers: 1.5 }],
    [{ concurrency: 0 }],
    [{ maxPayload: -1 }],
    [{ drainTimeout: Number.NaN }],
    [{ bind: [], echo: false as const }],
    [{ forwarder: "tcp" as never }],
  ])("refuses %j with ServerError INVALID_OPTION", (options) => {
    try {
      resolveOptions(options);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).code).toBe("INVALID_OPTION");
    }
  });
});
