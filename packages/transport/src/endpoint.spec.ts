import { describe, expect, it } from "vitest";
import { parseEndpoint } from "./endpoint.js";
import { Dealer } from "./dealer.js";
import { TransportError } from "./errors.js";

function refusal(endpoint: string, bind = false): TransportError {
  try {
    parseEndpoint(endpoint, { bind });
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error(`${endpoint} was accepted`);
}

describe("parseEndpoint", () => {
  it("splits the forms zpb uses", () => {
    expect(parseEndpoint("tcp://127.0.0.1:5555")).toMatchObject({ transport: "tcp", host: "127.0.0.1", port: 5555 });
    expect(parseEndpoint("tcp://example.com:1")).toMatchObject({ host: "example.com", port: 1 });
    expect(parseEndpoint("tcp://[::1]:65535")).toMatchObject({ host: "::1", port: 65535 });
    expect(parseEndpoint("tcp://10.0.0.1;192.0.2.7:7000")).toMatchObject({ host: "192.0.2.7", port: 7000 });
    expect(parseEndpoint("ipc:///tmp/zpb.sock")).toMatchObject({ transport: "ipc", path: "/tmp/zpb.sock" });
    expect(parseEndpoint("inproc://workers")).toMatchObject({ transport: "inproc", path: "workers" });
    expect(parseEndpoint("ws://127.0.0.1:80/x")).toMatchObject({
      transport: "other",
      scheme: "ws",
      address: "127.0.0.1:80/x",
    });
  });

  it("allows `*` and port 0 only when binding", () => {
    expect(parseEndpoint("tcp://*:5555", { bind: true })).toMatchObject({ host: "*", port: 5555 });
    expect(parseEndpoint("tcp://127.0.0.1:*", { bind: true })).toMatchObject({ port: "*" });
    expect(parseEndpoint("tcp://127.0.0.1:0", { bind: true })).toMatchObject({ port: 0 });
    expect(refusal("tcp://*:5555").message).toContain("can be bound, not connected to");
    expect(refusal("tcp://127.0.0.1:*").message).toContain('port "*" is not a number');
    expect(refusal("tcp://127.0.0.1:0").message).toContain("port 0 is outside 1-65535");
  });

  it.each([
    ["localhost:5555", "no transport"],
    ["tcp://localhost", "no port"],
    ["tcp://:5555", "no host"],
    ["tcp://127.0.0.1:70000", "port 70000 is outside 1-65535"],
    ["tcp://127.0.0.1:5555x", 'port "5555x" is not a number'],
    ["tcp://[nope]:5555", '"[nope]" is not an IPv6 address'],
    ["ipc://", "ipc:// needs a path"],
    ["inproc://", "inproc:// needs a name"],
  ])("refuses %s (%s), naming the expected form", (endpoint, why) => {
    const error = refusal(endpoint);
    expect(error.code).toBe("INVALID_ENDPOINT");
    expect(error.message).toContain(`invalid endpoint "${endpoint}": ${why}`);
    expect(error.message).toContain("expected tcp://HOST:PORT (e.g. tcp://127.0.0.1:5555)");
  });

  it("a socket's connect() refuses what libzmq would accept and then retry forever", () => {
    const dealer = new Dealer({ linger: 0 });
    try {
      expect(() => dealer.connect("tcp://127.0.0.1:70000")).toThrow(/port 70000 is outside 1-65535/);
      expect(() => dealer.connect("localhost:5555")).toThrow(TransportError);
      dealer.connect("tcp://127.0.0.1:5555"); // well-formed: connects in the background as before
    } finally {
      dealer.close();
    }
  });
});
