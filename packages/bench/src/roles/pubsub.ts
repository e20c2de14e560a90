// PUB and SUB processes for the publish/subscribe scenario. The subscriber is known to be
// subscribed when it receives a "hello" the publisher repeats until the runner says go: no sleeps.
import { Publisher, Subscriber } from "zeromq";
import { envelopeCodec, ping } from "@zpb/proto";
import { cpuSecondsSince, nowSeconds, onStop, sleep, tell, waitFor } from "../ipc.js";
import type { PublisherResult, SubscriberResult } from "../result.js";

const DATA = Buffer.from("bench.data");
const HELLO = Buffer.from("bench.hello");
const END = Buffer.from("bench.end");
const PREFIX = "bench.";

/** HWM option: null leaves libzmq's default (1000); 0 is unlimited. */
export interface PubConfig {
  hwm: number | null;
  count: number;
}

/**
 * Binds a PUB, says hello until go, publishes `count` Envelopes as fast as awaited sends allow, then says end until
 * stop.
 */
export async function runPublisher({ hwm, count }: PubConfig): Promise<void> {
  const socket = new Publisher({ linger: 0, ...(hwm === null ? {} : { sendHighWaterMark: hwm }) });
  await socket.bind("tcp://127.0.0.1:*");
  let stopped = false;
  onStop(() => (stopped = true));
  let started = false;
  const go = waitFor("go").then(() => (started = true));
  tell({ type: "ready", info: { endpoint: socket.lastEndpoint } });
  while (!started && !stopped) {
    await socket.send([HELLO]);
    await Promise.race([sleep(10), go]);
  }
  const cpu = process.cpuUsage();
  const t0 = nowSeconds();
  let sent = 0;
  for (let seq = 1; seq <= count && !stopped; seq++) {
    await socket.send([DATA, envelopeCodec.encode(ping(seq))]);
    sent++;
  }
  const seconds = nowSeconds() - t0;
  const result: PublisherResult = { sent, seconds, msgsPerSec: sent / seconds, cpuSeconds: cpuSecondsSince(cpu) };
  tell({ type: "result", data: result });
  while (!stopped) {
    await socket.send([END]);
    await sleep(20);
  }
  socket.close();
}

/** Config of the subscriber. */
export interface SubConfig {
  endpoint: string;
  hwm: number | null;
  count: number;
  /** No message for this long ends the run. */
  idleMs: number;
}

/** Subscribes, reports ready on the first hello, then counts data messages and seq gaps until end (or idle). */
export async function runSubscriber({ endpoint, hwm, count, idleMs }: SubConfig): Promise<SubscriberResult> {
  const socket = new Subscriber({
    linger: 0,
    receiveTimeout: idleMs,
    ...(hwm === null ? {} : { receiveHighWaterMark: hwm }),
  });
  socket.connect(endpoint);
  socket.subscribe(PREFIX);
  onStop(() => socket.close());
  const seen = new Uint8Array(count + 1);
  let ready = false;
  let received = 0;
  let duplicates = 0;
  let gaps = 0;
  let lastSeq = 0;
  let firstAt = 0;
  let lastAt = 0;
  let sawEnd = false;
  let cpu = process.cpuUsage();
  try {
    for (;;) {
      const [topic, body] = await socket.receive();
      if (topic!.equals(HELLO)) {
        if (!ready) {
          ready = true;
          cpu = process.cpuUsage();
          tell({ type: "ready", info: {} });
        }
        continue;
      }
      if (topic!.equals(END)) {
        sawEnd = true;
        break;
      }
      const env = envelopeCodec.decode(body!);
      if (env.payload.case !== "ping") continue;
      const seq = Number(env.payload.value.seq);
      lastAt = nowSeconds();
      if (firstAt === 0) firstAt = lastAt;
      if (seq !== lastSeq + 1) gaps++;
      lastSeq = seq;
      if (seq < 1 || seq > count) continue;
      if (seen[seq] === 1) duplicates++;
      else {
        seen[seq] = 1;
        received++;
      }
    }
  } catch (err) {
    if ((err as { code?: string }).code !== "EAGAIN" && !socket.closed) throw err;
  } finally {
    if (!socket.closed) socket.close();
  }
  const measuredSeconds = Math.max(lastAt - firstAt, 1e-9);
  return {
    received,
    lost: count - received,
    gaps,
    duplicates,
    msgsPerSec: received / measuredSeconds,
    measuredSeconds,
    sawEnd,
    cpuSeconds: cpuSecondsSince(cpu),
  };
}
