// Our own PUB and SUB clients as the pub/sub load: @zpb/client's TopicPublisher (with `batch` messages per
// ZeroMQ message, docs/wire.md "Batches") and Subscription. Same protocol as roles/pubsub.ts: the
// publisher repeats a hello until go, then the data, then an end marker until stop; here hello and end
// carry a payload, since a Subscription delivers only [topic, payload] messages.
import { Subscription, TopicPublisher } from "@zpb/client";
import { ping } from "@zpb/proto";
import { cpuSecondsSince, nowSeconds, onStop, sleep, tell, waitFor } from "../ipc.js";
import type { PublisherResult, SubscriberResult } from "../result.js";
import { DataTally, type PubConfig, type SubConfig } from "./pubsub.js";

const DATA = "bench.data";
const HELLO = "bench.hello";
const END = "bench.end";
const PREFIX = "bench.";

/** Config of our publisher: the plain one's, plus messages per batch (1 = single frames). */
export interface ZpbPubConfig extends PubConfig {
  batch: number;
}

/** Binds a TopicPublisher, says hello until go, publishes `count` Pings `batch` to a message, then says end until stop. */
export async function runZpbPublisher({ hwm, count, batch }: ZpbPubConfig): Promise<void> {
  const publisher = await TopicPublisher.bind({
    endpoint: "tcp://127.0.0.1:*",
    batch,
    socket: { linger: 0, ...(hwm === null ? {} : { sendHighWaterMark: hwm }) },
  });
  let stopped = false;
  onStop(() => (stopped = true));
  let started = false;
  const go = waitFor("go").then(() => (started = true));
  tell({ type: "ready", info: { endpoint: publisher.endpoint } });
  while (!started && !stopped) {
    await publisher.publish(HELLO, ping(0));
    await Promise.race([sleep(10), go]);
  }
  const cpu = process.cpuUsage();
  const t0 = nowSeconds();
  const { sent } = await publisher.publishMany({ topic: DATA, count, message: (i) => ping(i) });
  const seconds = nowSeconds() - t0;
  const result: PublisherResult = { sent, seconds, msgsPerSec: sent / seconds, cpuSeconds: cpuSecondsSince(cpu) };
  tell({ type: "result", data: result });
  while (!stopped) {
    await publisher.publish(END, ping(0));
    await sleep(20);
  }
  publisher.close();
}

/** Subscribes with a Subscription, reports ready on the first hello, then counts data messages (read a batch at a time) until end (or idle). */
export async function runZpbSubscriber({ endpoint, hwm, count, idleMs }: SubConfig): Promise<SubscriberResult> {
  const subscription = new Subscription({
    endpoint,
    topics: [PREFIX],
    seqOf: null, // gaps are counted below against the data topic only
    socket: { linger: 0, ...(hwm === null ? {} : { receiveHighWaterMark: hwm }) },
  });
  onStop(() => subscription.close());
  const tally = new DataTally(count);
  let ready = false;
  let sawEnd = false;
  let cpu = process.cpuUsage();
  // Idle bound: one timer re-armed lazily, as `zpb subscribe` does, instead of one per message.
  let lastMessageAt = nowSeconds();
  const idle = setInterval(() => {
    if (nowSeconds() - lastMessageAt > idleMs / 1000) subscription.close();
  }, idleMs / 4);
  try {
    // A batch at a time (Subscription.batches(): one promise per ZeroMQ message, not one per message).
    receiving: for await (const batch of subscription.batches()) {
      lastMessageAt = nowSeconds();
      for (const m of batch) {
        if (m.topic === HELLO) {
          if (!ready) {
            ready = true;
            cpu = process.cpuUsage();
            tell({ type: "ready", info: {} });
          }
          continue;
        }
        if (m.topic === END) {
          sawEnd = true;
          break receiving;
        }
        if (m.message.payload.case === "ping") tally.add(Number(m.message.payload.value.seq));
      }
    }
  } finally {
    clearInterval(idle);
    subscription.close();
  }
  return tally.result(sawEnd, cpuSecondsSince(cpu));
}
