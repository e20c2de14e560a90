// The peers "written the obvious way": a single-threaded REP loop, a single-threaded ROUTER loop,
// and a ROUTER whose main thread hands each request to a piscina pool (piscina's intended use:
// many short tasks). All answer with the same `answer()` as our server's handler.
import { Reply, Router } from "zeromq";
import { envelopeCodec } from "@zpb/proto";
import { answer } from "../work.js";
import { onStop, tell } from "../ipc.js";

/** Config of a peer server process. */
export interface PeerServerConfig {
  kind: "plain-rep" | "plain-router" | "piscina";
  /** Busy-work iterations per request (0 = light Ping/Pong). */
  iterations: number;
  /** piscina threads. */
  threads: number;
}

function reply(request: Uint8Array, iterations: number): Uint8Array {
  return envelopeCodec.encode(answer(envelopeCodec.decode(request), iterations));
}

/** Runs a peer server until the runner says stop; counts what it answered. */
export async function runPeerServer(config: PeerServerConfig): Promise<void> {
  if (config.kind === "plain-rep") return plainRep(config);
  if (config.kind === "plain-router") return plainRouter(config);
  return piscinaRouter(config);
}

async function plainRep({ iterations }: PeerServerConfig): Promise<void> {
  const socket = new Reply({ linger: 0 });
  await socket.bind("tcp://127.0.0.1:*");
  onStop(() => socket.close());
  tell({ type: "ready", info: { endpoint: socket.lastEndpoint } });
  try {
    for await (const [request] of socket) await socket.send(reply(request!, iterations));
  } catch (err) {
    if (!socket.closed) throw err;
  }
}

async function plainRouter({ iterations }: PeerServerConfig): Promise<void> {
  const socket = new Router({ linger: 0 });
  await socket.bind("tcp://127.0.0.1:*");
  onStop(() => socket.close());
  tell({ type: "ready", info: { endpoint: socket.lastEndpoint } });
  try {
    for await (const frames of socket) {
      // [identity, (empty delimiter,) payload]: answer the last frame, keep the envelope.
      frames[frames.length - 1] = Buffer.from(reply(frames[frames.length - 1]!, iterations));
      await socket.send(frames);
    }
  } catch (err) {
    if (!socket.closed) throw err;
  }
}

async function piscinaRouter({ iterations, threads }: PeerServerConfig): Promise<void> {
  const { Piscina } = await import("piscina");
  const pool = new Piscina({
    filename: new URL("./piscina-task.js", import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    workerData: { iterations },
  });
  const socket = new Router({ linger: 0 });
  await socket.bind("tcp://127.0.0.1:*");

  // One pending send per socket: finished tasks queue their replies for a single send loop.
  const outbox: Buffer[][] = [];
  let wake: (() => void) | undefined;
  let stopping = false;
  const sendLoop = (async () => {
    while (!stopping) {
      const next = outbox.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      try {
        await socket.send(next);
      } catch (err) {
        if (!socket.closed) throw err;
      }
    }
  })();
  onStop(() => {
    stopping = true;
    wake?.();
    socket.close();
  });
  tell({ type: "ready", info: { endpoint: socket.lastEndpoint, threads: pool.threads.length } });

  try {
    for await (const frames of socket) {
      const request = frames.pop()!;
      pool.run(request).then(
        (answerBytes: Uint8Array) => {
          frames.push(Buffer.from(answerBytes.buffer, answerBytes.byteOffset, answerBytes.byteLength));
          outbox.push(frames);
          wake?.();
        },
        (err: unknown) => process.stderr.write(`piscina task failed: ${String(err)}\n`),
      );
    }
  } catch (err) {
    if (!socket.closed) throw err;
  }
  await sendLoop;
  await pool.close(); // the workers hold no sockets: closing the pool is safe
}
