// Test helpers: a server on ephemeral loopback ports, and raw zeromq peers that speak the wire's shapes
// (docs/wire.md).
import { afterAll, beforeAll } from "vitest";
import * as zmq from "zeromq";
import { envelopeCodec, type Envelope } from "@zpb/proto";
import { startServer, type RunningServer, type ServerOptions } from "../index.js";
import { fileURLToPath } from "node:url";

/** The test-only handler module (each seq triggers one fault). */
export const FAULTY_HANDLER = fileURLToPath(new URL("./fixtures/faulty-handler.mjs", import.meta.url));

/** A server with 2 workers on ephemeral ports (both the Envelope service and echo). */
export function startTestServer(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({
    bind: ["tcp://127.0.0.1:*"],
    echo: "tcp://127.0.0.1:*",
    workers: 2,
    drainTimeout: 1000,
    ...options,
  });
}

/**
 * A test server for the enclosing describe block: started before its tests (then handed to `use`), stopped
 * after them.
 */
export function withTestServer(options: ServerOptions, use: (server: RunningServer) => void): void {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(options);
    use(server);
  });
  afterAll(async () => {
    await server?.stop();
  });
}

/** The Envelope service's first endpoint. */
export function mainEndpoint(server: RunningServer): string {
  const endpoint = server.endpoints.main[0];
  if (endpoint === undefined) throw new Error("server has no main endpoint");
  return endpoint;
}

/** One REQ round trip (as the Rust prost + zmq example's REQ client does it): sends `frames`, returns the reply frames; fails after `timeoutMs`. */
export async function reqRoundTrip(
  endpoint: string,
  frames: Uint8Array | Uint8Array[],
  timeoutMs = 5000,
): Promise<Buffer[]> {
  const req = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs });
  try {
    req.connect(endpoint);
    await req.send(frames);
    return await req.receive();
  } finally {
    req.close();
  }
}

/** Sends one Envelope from a REQ socket and decodes the single reply frame. */
export async function reqEnvelope(endpoint: string, request: Envelope): Promise<Envelope> {
  const reply = await reqRoundTrip(endpoint, envelopeCodec.encode(request));
  if (reply.length !== 1) throw new Error(`expected 1 reply frame, got ${reply.length}`);
  return envelopeCodec.decode(reply[0]!);
}

/** A DEALER connected to `endpoint`, with a receive timeout so no test can hang. */
export function dealer(endpoint: string, timeoutMs = 5000): zmq.Dealer {
  const socket = new zmq.Dealer({ linger: 0, receiveTimeout: timeoutMs });
  socket.connect(endpoint);
  return socket;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
