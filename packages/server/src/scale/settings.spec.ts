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
    expect(resolveOptions({ workers: 1, join: "tcp://192.0.2.1:7001", insecure: true }).join).toBe(
      "tcp://192.0.2.1:7001",
    );
    expect(resolveOptions({ backend: "tcp://192.0.2.1:7001", insecure: true }).backend).toBe("tcp://192.0.2.1:7001");
  });

  it.each([
    [{ workers: 0 }, /--backend/],
    [{ workers: 0, backend: "tcp://127.0.0.1:*" }, /echo service needs local workers/],
    [{ join: "tcp://127.0.0.1:1", backend: "tcp://127.0.0.1:2" }, /does not take joiners/],
    [{ join: "tcp://127.0.0.1:1", workers: 0 }, /needs workers/],
    [{ credit: 0 }, /credit must be an integer ≥ 1/],
    [
      { backend: "tcp://192.0.2.1:7001" },
      /refusing to let hosts join over plaintext on tcp:\/\/192\.0\.2\.1:7001.*--host-keys.*--insecure/,
    ],
    [
      { join: "tcp://192.0.2.1:7001" },
      /refusing to join tcp:\/\/192\.0\.2\.1:7001 over plaintext.*--server-key.*--insecure/,
    ],
  ])("refuse %j", (options, message) => {
    expect(() => resolveOptions(options)).toThrow(message);
  });
});

describe("host link settings (CURVE between a front and its joined hosts)", () => {
  const key = "/etc/zpb/server.key_secret";
  const serverKey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

  it("accept a CURVE front with a host allow-list, and a CURVE or --insecure joiner", () => {
    const front = resolveOptions({ backend: "tcp://192.0.2.1:7001", curveKey: key, hostKeys: "hosts" });
    expect(front.hostKeys).toMatch(/^\/.*\/hosts$/); // made absolute, as the other paths
    const host = resolveOptions({ join: "tcp://192.0.2.1:7001", workers: 1, curveKey: "host.key_secret", serverKey });
    expect(host.serverKey).toBe(serverKey); // a Z85 key is kept as it is
    expect(
      resolveOptions({ join: "tcp://192.0.2.1:7001", workers: 1, curveKey: key, serverKey: "server.key" }).serverKey,
    ).toMatch(/^\/.*\/server\.key$/);
    expect(resolveOptions({ join: "tcp://192.0.2.1:7001", workers: 1, insecure: true }).join).toBe(
      "tcp://192.0.2.1:7001",
    );
    expect(resolveOptions({ join: "tcp://127.0.0.1:7001", workers: 1 }).curveKey).toBeUndefined();
  });

  it.each([
    // A CURVE front: the backend is CURVE too, and only listed hosts may join (loopback or not).
    [{ backend: "tcp://127.0.0.1:7001", curveKey: key }, /--backend needs --host-keys <dir>.*any client could join/],
    [{ backend: "tcp://192.0.2.1:7001", curveKey: key, insecure: true }, /--backend needs --host-keys/],
    [{ hostKeys: "hosts", curveKey: key }, /hostKeys is for hosts joining --backend/],
    [{ backend: "tcp://127.0.0.1:7001", hostKeys: "hosts" }, /hostKeys needs curveKey/],
    // A joiner: its own key and the front's public key go together.
    [{ join: "tcp://192.0.2.1:7001", curveKey: key }, /--join with --curve-key needs --server-key/],
    [{ join: "tcp://192.0.2.1:7001", serverKey, insecure: true }, /--server-key needs --curve-key/],
    [{ serverKey }, /serverKey is the front's key for --join/],
    [{ join: "tcp://127.0.0.1:7001", curveKey: key, serverKey, authorizedKeys: "clients" }, /has no clients/],
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
