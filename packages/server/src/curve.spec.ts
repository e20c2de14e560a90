import { describe, expect, it } from "vitest";
import { RefusalLog } from "./curve.js";
import { isLoopbackEndpoint } from "./endpoints.js";
import { resolveOptions } from "./options.js";

describe("isLoopbackEndpoint", () => {
  it.each([
    "tcp://127.0.0.1:5555",
    "tcp://127.1.2.3:*",
    "tcp://localhost:7000",
    "tcp://[::1]:7000",
    "tcp://lo:7000",
    "inproc://anything",
    "ipc:///tmp/zpb.sock",
  ])("%s is loopback", (endpoint) => expect(isLoopbackEndpoint(endpoint)).toBe(true));

  it.each([
    "tcp://0.0.0.0:5555",
    "tcp://*:5555",
    "tcp://10.0.0.5:5555",
    "tcp://eth0:5555",
    "tcp://example.com:5555",
    "tcp://[::]:5555",
    "tcp://127.0.0.1.evil.example:5555",
    "epgm://eth0;239.192.1.1:5555",
    "not an endpoint",
  ])("%s may be reachable from other hosts", (endpoint) => expect(isLoopbackEndpoint(endpoint)).toBe(false));
});

describe("protected mode (curveKey / insecure)", () => {
  it("refuses plaintext on a non-loopback address, naming the flags", () => {
    expect(() => resolveOptions({ bind: ["tcp://0.0.0.0:5555"], echo: false })).toThrow(
      /refusing to serve plaintext on tcp:\/\/0\.0\.0\.0:5555 \(not loopback\).*--curve-key.*--insecure/,
    );
    expect(() => resolveOptions({ bind: ["tcp://127.0.0.1:5555"], echo: "tcp://*:25933" })).toThrow(/tcp:\/\/\*:25933/);
  });

  it("allows it with a CURVE key or with insecure, and loopback always", () => {
    expect(resolveOptions({ bind: ["tcp://0.0.0.0:5555"], insecure: true }).insecure).toBe(true);
    expect(resolveOptions({ bind: ["tcp://0.0.0.0:5555"], curveKey: "server.key_secret" }).curveKey).toMatch(
      /^\/.*server\.key_secret$/,
    );
    expect(resolveOptions({}).curveKey).toBeUndefined();
  });

  it("wants authorizedKeys only together with curveKey", () => {
    expect(() => resolveOptions({ authorizedKeys: "keys" })).toThrow(/authorizedKeys needs curveKey/);
  });
});

describe("RefusalLog", () => {
  it("logs the first refusals of each window with address and key, then one summary line", () => {
    let now = 0;
    const lines: Array<{ fields: Record<string, unknown>; message: string }> = [];
    const logger = {
      info() {},
      error() {},
      warn: (fields: object, message: string) => lines.push({ fields: fields as Record<string, unknown>, message }),
    };
    const log = new RefusalLog(logger, () => now);
    const refusal = {
      domain: "d",
      address: "10.0.0.9",
      mechanism: "CURVE",
      publicKey: "K".repeat(40),
      reason: "client key not authorized",
    };
    for (let i = 0; i < 20; i++) log.record(refusal);
    expect(log.count).toBe(20);
    expect(lines).toHaveLength(5);
    expect(lines[0]?.message).toBe(
      `refused CURVE client 10.0.0.9 with key ${"K".repeat(40)}: client key not authorized`,
    );
    expect(lines[0]?.fields).toMatchObject({ address: "10.0.0.9", publicKey: "K".repeat(40) });
    now = 10_000;
    log.record(refusal);
    expect(lines[5]?.message).toMatch(/^15 more client\(s\) refused in the last 10 s/);
    expect(lines[6]?.message).toMatch(/^refused CURVE client/);
  });
});
