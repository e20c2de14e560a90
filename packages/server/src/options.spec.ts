import { describe, expect, it } from "vitest";
import { DEFAULT_ENDPOINTS } from "@zpb/transport";
import { availableParallelism } from "node:os";
import { resolveOptions } from "./options.js";
import { SERVER_SETTINGS, workerSettingsOf } from "./settings.js";
import { ServerError } from "./errors.js";

describe("resolveOptions", () => {
  it("defaults to the Rust prost + zmq example's endpoints, echo, one worker per core and the ping handler", () => {
    const o = resolveOptions();
    expect(o.bind).toEqual([DEFAULT_ENDPOINTS.reply, DEFAULT_ENDPOINTS.router]);
    expect(o.bind).toEqual(["tcp://127.0.0.1:5555", "tcp://127.0.0.1:7000"]);
    expect(o.echo).toBe("tcp://127.0.0.1:25933");
    expect(o.workers).toBe(availableParallelism());
    expect(o.handler).toBe("ping");
    expect(o.maxPayload).toBe(SERVER_SETTINGS.maxPayload.default);
    expect(o.maxMessageSize).toBeGreaterThanOrEqual(o.maxPayload);
    // Bounded by default: a client that never reads cannot grow the server without limit (README "Hardening").
    expect(o.replyHighWaterMark).toBe(2048);
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

  it("names the setting in the error", () => {
    expect(() => resolveOptions({ requestHighWaterMark: 0 })).toThrow(
      "requestHighWaterMark must be an integer ≥ 1, got 0",
    );
    expect(() => resolveOptions({ echo: "" })).toThrow(/^echo must be an endpoint or false/);
  });

  it("hands workers exactly the settings marked worker: true, with their resolved values", () => {
    const resolved = resolveOptions({ concurrency: 3, workers: 1 });
    const marked = Object.entries(SERVER_SETTINGS)
      .filter(([, s]) => s.worker)
      .map(([name]) => name);
    expect(Object.keys(workerSettingsOf(resolved)).sort()).toEqual(marked.sort());
    expect(workerSettingsOf(resolved)).toMatchObject({
      concurrency: 3,
      maxPayload: 1024 * 1024,
      requestHighWaterMark: 32,
      handlerTimeout: 30_000,
      stallTimeout: 10_000,
    });
  });
});
