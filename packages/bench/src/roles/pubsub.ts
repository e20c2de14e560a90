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
/** Hello and end are [topic, empty payload]: a subscriber that reads only [topic, payload] (our Subscription) sees them too. */
const NO_PAYLOAD = Buffer.alloc(0);

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
    await socket.send([HELLO, NO_PAYLOAD]);
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
    await socket.send([END, NO_PAYLOAD]);
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

/** What a subscriber counts of the data messages: distinct seqs, duplicates, seq jumps, first and last arrival. */
export class DataTally {
  private readonly seen: Uint8Array;
  private received = 0;
  private duplicates = 0;
  private gaps = 0;
  private lastSeq = 0;
  private firstAt = 0;
  private lastAt = 0;

  constructor(private readonly count: number) {
    this.seen = new Uint8Array(count + 1);
  }

  /** One data message with `seq`, arrived now. */
  add(seq: number): void {
    this.lastAt = nowSeconds();
    if (this.firstAt === 0) this.firstAt = this.lastAt;
    if (seq !== this.lastSeq + 1) this.gaps++;
    this.lastSeq = seq;
    if (seq < 1 || seq > this.count) return;
    if (this.seen[seq] === 1) this.duplicates++;
    else {
      this.seen[seq] = 1;
      this.received++;
    }
  }

  /** The subscriber's result from what was counted. */
  result(sawEnd: boolean, cpuSeconds: number): SubscriberResult {
    const measuredSeconds = Math.max(this.lastAt - this.firstAt, 1e-9);
    return {
      received: this.received,
      lost: this.count - this.received,
      gaps: this.gaps,
      duplicates: this.duplicates,
      msgsPerSec: this.received / measuredSeconds,
      measuredSeconds,
      sawEnd,
      cpuSeconds,
    };
  }
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
  const tally = new DataTally(count);
  let ready = false;
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
      if (env.payload.case === "ping") tally.add(Number(env.payload.value.seq));
    }
  } catch (err) {
    if ((err as { code?: string }).code !== "EAGAIN" && !socket.closed) throw err;
  } finally {
    if (!socket.closed) socket.close();
  }
  return tally.result(sawEnd, cpuSecondsSince(cpu));
}
