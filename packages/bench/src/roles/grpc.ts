// The grpc-js peer: a unary Pinger.Ping(Envelope) → Envelope service and its clients, loaded
// from a bench-local .proto that imports @zpb/proto's schema (how most users would wire grpc-js).
import { fileURLToPath } from "node:url";
import { dirname } from "node:path";
import type * as GrpcJs from "@grpc/grpc-js";
import { busyWork } from "../work.js";
import { cpuSecondsSince, nowSeconds, onStop, tell } from "../ipc.js";
import { loadClientResult, type LatencyClientResult, type LoadClientResult } from "../result.js";
import { measureRoundTrips, type RoundTrip } from "./round-trips.js";

/** The plain object shape proto-loader gives for an Envelope (longs as Number, oneof named). */
interface WireEnvelope {
  payload?: "ping" | "pong" | "error";
  ping?: { seq?: number };
  pong?: { seq?: number };
}

type Unary = (
  request: WireEnvelope,
  options: GrpcJs.CallOptions,
  callback: (err: GrpcJs.ServiceError | null, reply?: WireEnvelope) => void,
) => void;
interface PingerClient extends GrpcJs.Client {
  Ping: Unary;
}

async function loadPinger(): Promise<{ grpc: typeof GrpcJs; Pinger: GrpcJs.ServiceClientConstructor }> {
  const grpc = await import("@grpc/grpc-js");
  const loader = await import("@grpc/proto-loader");
  const schemaDir = dirname(fileURLToPath(import.meta.resolve("@zpb/proto/example.proto")));
  const definition = loader.loadSync(fileURLToPath(new URL("../proto/pinger.proto", import.meta.url)), {
    includeDirs: [schemaDir],
    longs: Number,
    oneofs: true,
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    bench: { Pinger: GrpcJs.ServiceClientConstructor };
  };
  return { grpc, Pinger: root.bench.Pinger };
}

/** Config of the grpc-js server process. */
export interface GrpcServerConfig {
  iterations: number;
}

/** Serves Pinger.Ping on 127.0.0.1 (a free port) until told to stop. */
export async function runGrpcServer({ iterations }: GrpcServerConfig): Promise<void> {
  const { grpc, Pinger } = await loadPinger();
  const server = new grpc.Server();
  server.addService(Pinger.service, {
    Ping(call: GrpcJs.ServerUnaryCall<WireEnvelope, WireEnvelope>, callback: GrpcJs.sendUnaryData<WireEnvelope>) {
      const seq = call.request.ping?.seq;
      if (seq === undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: "expected ping" });
      if (iterations > 0) busyWork(iterations, seq);
      callback(null, { pong: { seq } });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const stopped = new Promise<void>((resolve) => onStop(() => server.tryShutdown(() => resolve())));
  tell({ type: "ready", info: { target: `127.0.0.1:${port}` } });
  await stopped;
}

async function connect(target: string, timeoutMs: number): Promise<PingerClient> {
  const { grpc, Pinger } = await loadPinger();
  const client = new Pinger(target, grpc.credentials.createInsecure()) as unknown as PingerClient;
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
  );
  return client;
}

function call(client: PingerClient, seq: number, timeoutMs: number): Promise<WireEnvelope> {
  return new Promise((resolve, reject) =>
    client.Ping({ ping: { seq } }, { deadline: Date.now() + timeoutMs }, (err, reply) =>
      err ? reject(err) : resolve(reply!),
    ),
  );
}

/** Config of a grpc-js latency client. */
export interface GrpcLatencyConfig {
  target: string;
  count: number;
  warmup: number;
  durationMs: number;
  replyTimeoutMs: number;
}

/** Sequential unary calls, one at a time; round trips in µs. */
export async function runGrpcLatencyClient(
  config: GrpcLatencyConfig,
  ready: () => Promise<void>,
): Promise<LatencyClientResult> {
  const client = await connect(config.target, 10_000);
  let stopped = false;
  onStop(() => {
    stopped = true;
    client.close();
  });
  await ready();
  try {
    return await measureRoundTrips(
      config,
      async (seq): Promise<RoundTrip> => {
        let reply: WireEnvelope;
        try {
          reply = await call(client, seq, config.replyTimeoutMs);
        } catch {
          return "lost";
        }
        return reply.pong?.seq === seq ? "ok" : "unexpected";
      },
      () => stopped,
    );
  } finally {
    client.close();
  }
}

/** Config of a grpc-js concurrent load client. */
export interface GrpcLoadConfig {
  target: string;
  window: number;
  count: number;
  warmup: number;
  durationMs: number;
  seqBase: number;
  replyTimeoutMs: number;
}

/** `window` unary calls in flight on one channel, each finished call starting the next. */
export async function runGrpcLoadClient(config: GrpcLoadConfig, ready: () => Promise<void>): Promise<LoadClientResult> {
  const client = await connect(config.target, 10_000);
  let stopped = false;
  onStop(() => {
    stopped = true;
    client.close();
  });
  const answered = new Uint8Array(config.count);
  let next = 0;
  let sent = 0;
  let received = 0;
  let duplicates = 0;
  let unexpected = 0;
  let failed = 0;
  let warmAt = 0;
  let warmCount = 0;
  let lastAt = 0;
  await ready();
  const cpu = process.cpuUsage();
  const start = nowSeconds();
  const sendUntil = start + config.durationMs / 1000;
  // Warm-up ends at `warmup` replies or a quarter of the time cap, whichever comes first (JIT, connection set-up).
  const warmUntil = start + config.durationMs / 4000;

  const lane = async (): Promise<void> => {
    while (next < config.count && nowSeconds() < sendUntil && !stopped) {
      const index = next++;
      sent++;
      let reply: WireEnvelope;
      try {
        reply = await call(client, config.seqBase + index, config.replyTimeoutMs);
      } catch {
        failed++;
        continue;
      }
      const got = (reply.pong?.seq ?? -1) - config.seqBase;
      if (got !== index) unexpected++;
      else if (answered[index] === 1) duplicates++;
      else {
        answered[index] = 1;
        received++;
        lastAt = nowSeconds();
        if (warmAt === 0 && (received >= config.warmup || lastAt >= warmUntil)) {
          warmAt = lastAt;
          warmCount = received;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: config.window }, lane));
  const wallSeconds = nowSeconds() - start;
  const cpuSeconds = cpuSecondsSince(cpu);
  client.close();

  return loadClientResult({
    sent,
    received,
    duplicates,
    unexpected,
    stalled: failed > 0,
    start,
    warmAt,
    warmCount,
    lastAt,
    wallSeconds,
    cpuSeconds,
  });
}
