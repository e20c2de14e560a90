import { describe, expect, it } from "vitest";
import { resolveOptions } from "../options.js";
import { decodeJoinMessage, encodeJoinMessage } from "./join-protocol.js";

describe("scale-out settings", () => {
  it("accept a pure router, a front with local workers, and a joined host", () => {
    expect(resolveOptions({ workers: 0, backend: "tcp://127.0.0.1:*", echo: false })).toMatchObject({
      workers: 0,
      backend: "tcp://127.0.0.1:*",
      join: false,
      credit: 16,
      hostHeartbeat: 1000,
    });
    expect(resolveOptions({ workers: 2, backend: "tcp://127.0.0.1:*" }).backend).toBe("tcp://127.0.0.1:*");
    expect(resolveOptions({ workers: 1, join: "tcp://192.0.2.1:7001" }).join).toBe("tcp://192.0.2.1:7001");
    expect(resolveOptions({ backend: "tcp://192.0.2.1:7001", insecure: true }).backend).toBe("tcp://192.0.2.1:7001");
  });

  it.each([
    [{ workers: 0 }, /--backend/],
    [{ workers: 0, backend: "tcp://127.0.0.1:*" }, /echo service needs local workers/],
    [{ join: "tcp://127.0.0.1:1", backend: "tcp://127.0.0.1:2" }, /does not take joiners/],
    [{ join: "tcp://127.0.0.1:1", workers: 0 }, /needs workers/],
    [{ credit: 0 }, /credit must be an integer ≥ 1/],
    [{ backend: "tcp://192.0.2.1:7001" }, /host link has no CURVE yet/],
  ])("refuse %j", (options, message) => {
    expect(() => resolveOptions(options)).toThrow(message);
  });
});

describe("join protocol", () => {
  it("round-trips its messages and rejects anything else", () => {
    for (const message of [
      { type: "ready", version: 1, workers: 3 },
      { type: "heartbeat" },
      { type: "bye" },
      { type: "rejoin" },
    ] as const)
      expect(decodeJoinMessage(encodeJoinMessage(message))).toEqual(message);
    for (const junk of ["", "{", "null", '{"type":"ready","workers":0,"version":1}', '{"type":"other"}'])
      expect(decodeJoinMessage(Buffer.from(junk))).toBeUndefined();
  });
});
