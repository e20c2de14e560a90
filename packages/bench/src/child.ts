// Entry point of every process the runner forks: `child.js <role> <json config>`. Servers report
// "ready" with their endpoint and serve until "stop"; clients report "ready", wait for "go",
// run, and report "result". A child whose runner disappears stops on its own (see ipc.ts).
import { tell, waitFor } from "./ipc.js";
import type { Role } from "./roles/role.js";
import { probeZmq } from "./probe.js";
import { runPeerServer, type PeerServerConfig } from "./roles/zmq-servers.js";
import { runDealerClient, runReqClient, type DealerClientConfig, type ReqClientConfig } from "./roles/zmq-clients.js";
import { runNativeDealerClient, type NativeDealerConfig } from "./roles/native-client.js";
import { runPublisher, runSubscriber, type PubConfig, type SubConfig } from "./roles/pubsub.js";
import { runPipelinedClient, type PipelinedClientConfig } from "./roles/pipelined-client.js";
import { runZpbPublisher, runZpbSubscriber, type ZpbPubConfig } from "./roles/zpb-pubsub.js";
import { runCodecBench, type CodecConfig } from "./roles/codec.js";
import { runAttackers, type AttackersConfig } from "./roles/attackers.js";
import {
  runGrpcLatencyClient,
  runGrpcLoadClient,
  runGrpcServer,
  type GrpcLatencyConfig,
  type GrpcLoadConfig,
  type GrpcServerConfig,
} from "./roles/grpc.js";

/** How long a client's first Ping may wait for its Pong before the client gives up. */
const PROBE_TIMEOUT_MS = 10_000;

/** Tells the runner this client is set up (after a Ping got its Pong, for zeromq servers) and waits for go. */
function readyThenGo(
  probeEndpoint?: string,
  curve?: ReqClientConfig["curve"],
  probeTimeoutMs = PROBE_TIMEOUT_MS,
): () => Promise<void> {
  return async () => {
    if (probeEndpoint !== undefined) await probeZmq(probeEndpoint, probeTimeoutMs, 200, curve);
    tell({ type: "ready", info: {} });
    await waitFor("go");
  };
}

async function main(role: Role, config: never): Promise<void> {
  switch (role) {
    case "peer-server":
      return runPeerServer(config as PeerServerConfig);
    case "grpc-server":
      return runGrpcServer(config as GrpcServerConfig);
    case "publisher":
      return runPublisher(config as PubConfig);
    case "req-client": {
      const c = config as ReqClientConfig;
      return tell({ type: "result", data: await runReqClient(c, readyThenGo(c.endpoint, c.curve, c.probeTimeoutMs)) });
    }
    case "dealer-client": {
      const c = config as DealerClientConfig;
      return tell({ type: "result", data: await runDealerClient(c, readyThenGo(c.endpoint, c.curve)) });
    }
    case "pipelined-client": {
      const c = config as PipelinedClientConfig;
      return tell({ type: "result", data: await runPipelinedClient(c, readyThenGo(c.endpoint)) });
    }
    case "zpb-publisher":
      return runZpbPublisher(config as ZpbPubConfig);
    case "zpb-subscriber":
      return tell({ type: "result", data: await runZpbSubscriber(config as SubConfig) });
    case "native-dealer-client": {
      const c = config as NativeDealerConfig;
      return tell({ type: "result", data: await runNativeDealerClient(c, readyThenGo(c.endpoint)) });
    }
    case "grpc-latency-client":
      return tell({ type: "result", data: await runGrpcLatencyClient(config as GrpcLatencyConfig, readyThenGo()) });
    case "grpc-load-client":
      return tell({ type: "result", data: await runGrpcLoadClient(config as GrpcLoadConfig, readyThenGo()) });
    case "subscriber":
      return tell({ type: "result", data: await runSubscriber(config as SubConfig) });
    case "attackers":
      return runAttackers(config as AttackersConfig);
    case "codec":
      tell({ type: "ready", info: {} });
      await waitFor("go");
      return tell({ type: "result", data: runCodecBench(config as CodecConfig) });
  }
}

const [role, json] = process.argv.slice(2);
main(role as Role, JSON.parse(json ?? "{}") as never).then(
  () => {
    // Every socket is closed by now; let the runner see the last message, then leave.
    if (process.connected) process.disconnect();
  },
  (err: unknown) => {
    tell({ type: "failed", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
    if (process.connected) process.disconnect();
  },
);
