// Scenario 8: batches (docs/wire.md, "Batches"). Request/reply: our server (all workers) driven by our own
// PipelinedClient and by the native client, each batch size × window, with envelopes per core-second of
// server CPU; the window-1 runs of the JS client give the single-request latency with batching on and off;
// with `batchPin`, the same at window 1000 against a server started with --pin. Publish/subscribe: our
// TopicPublisher → our Subscription per batch size, and at batch 1 a plain zeromq.js PUB → plain SUB and →
// our Subscription (the single-frame subscriber must keep up with a plain loop).
import { clientKinds } from "../options.js";
import type { Proc } from "../procs.js";
import type {
  BatchPubSubRecord,
  BatchRecord,
  LoadClientResult,
  LatencySummary,
  PublisherResult,
  SubscriberResult,
} from "../result.js";
import { ServerUnavailableError, startServer, stopServer, type RunningServer, type ServerSpec } from "../servers.js";
import type { ClientKind } from "../result.js";
import { messageOf, rate, type ScenarioContext } from "./context.js";
import { runLoad } from "./load.js";

/** The window at which pinning is weighed. */
const PIN_WINDOW = 1000;

/** Runs the batch scenario: request/reply (plain, then pinned), then publish/subscribe. */
export async function runBatch(ctx: ScenarioContext): Promise<void> {
  ctx.result.batch ??= [];
  ctx.result.batchPubsub ??= [];
  const workers = Math.max(...ctx.options.workers);
  await requestReply(ctx, { kind: "zpb", workers, iterations: 0 }, false);
  if (ctx.options.batchPin) await requestReply(ctx, { kind: "zpb", workers, iterations: 0, pin: true }, true);
  await publishSubscribe(ctx);
}

async function requestReply(ctx: ScenarioContext, spec: ServerSpec, pinned: boolean): Promise<void> {
  const o = ctx.options;
  const windows = pinned ? [PIN_WINDOW] : o.windows;
  const kinds = clientKinds(o.client);
  let server: RunningServer;
  try {
    server = await startServer(ctx.registry, spec, ctx.serverCli);
  } catch (err) {
    const why = err instanceof ServerUnavailableError ? "skipped (server not built)" : `FAILED: ${messageOf(err)}`;
    ctx.progress.begin(`batch zpb${pinned ? " --pin" : ""}`);
    ctx.progress.end(why);
    return;
  }
  try {
    for (const batch of o.batchSizes) {
      const runs: Array<[number, ClientKind]> = windows.flatMap((w) => kinds.map((k): [number, ClientKind] => [w, k]));
      // The single-request latency: one request in flight, so batching can only ever send one at a time.
      if (!pinned) runs.unshift([1, "js"]);
      for (const [window, client] of runs) {
        if (ctx.signal.aborted) return;
        ctx.progress.begin(`batch ${batch} w${window} ${client}${pinned ? " --pin" : ""}`);
        const record = await oneRun(ctx, server, { batch, window, client, pinned, workers: spec.workers });
        ctx.result.batch!.push(record);
        ctx.progress.end(
          record.error
            ? `FAILED: ${record.error.split("\n")[0]}`
            : `${rate(record.msgsPerSec)} msg/s, lost ${record.lost}, ${rate(record.envelopesPerCoreSecond)} envelopes/server core-s` +
                (record.p50Us === undefined ? "" : `, p50 ${record.p50Us} µs`),
        );
      }
    }
  } finally {
    await stopServer(server);
  }
}

async function oneRun(
  ctx: ScenarioContext,
  server: RunningServer,
  run: { batch: number; window: number; client: ClientKind; pinned: boolean; workers: number },
): Promise<BatchRecord> {
  const o = ctx.options;
  let latency: LatencySummary | undefined;
  const t = await runLoad(ctx, server, {
    scenario: "pingpong",
    window: run.window,
    // one request at a time cannot move a full count within the time cap; the cap ends it instead
    count: run.window === 1 ? Math.min(o.count, o.latencyCount) : o.count,
    durationMs: o.durationMs,
    repeat: 0,
    client: run.client,
    batch: run.batch,
    onResults: (results: LoadClientResult[]) => {
      latency = (results[0] as LoadClientResult & { latency?: LatencySummary }).latency;
    },
  });
  const record: BatchRecord = {
    batch: run.batch,
    window: run.window,
    client: run.client,
    workers: run.workers,
    pin: run.pinned,
    sent: t.sent,
    received: t.received,
    lost: t.lost,
    msgsPerSec: t.msgsPerSec,
    clientCpuShare: t.clientCpuShare,
    serverCpuSeconds: t.serverCpuSeconds,
    envelopesPerCoreSecond: t.serverCpuSeconds > 0 ? Math.round(t.received / t.serverCpuSeconds) : 0,
  };
  if (latency !== undefined && latency.count > 0) {
    record.p50Us = latency.p50Us;
    record.p99Us = latency.p99Us;
  }
  if (t.error !== undefined) record.error = t.error;
  return record;
}

/** The pub/sub pairs: ours at every batch size, and at batch 1 a plain pair and plain PUB → our Subscription. */
async function publishSubscribe(ctx: ScenarioContext): Promise<void> {
  const pairs: Array<Pick<BatchPubSubRecord, "batch" | "publisher" | "subscriber">> = [
    { batch: 1, publisher: "plain", subscriber: "plain" },
    { batch: 1, publisher: "plain", subscriber: "zpb" },
    ...ctx.options.batchSizes.map((batch) => ({ batch, publisher: "zpb" as const, subscriber: "zpb" as const })),
  ];
  for (const pair of pairs) {
    if (ctx.signal.aborted) return;
    ctx.progress.begin(`batch pubsub ${pair.batch} ${pair.publisher}→${pair.subscriber}`);
    const record = await onePubSub(ctx, pair);
    ctx.result.batchPubsub!.push(record);
    ctx.progress.end(
      record.error
        ? `FAILED: ${record.error.split("\n")[0]}`
        : `${rate(record.msgsPerSec)} msg/s received, lost ${record.lost}`,
    );
  }
}

async function onePubSub(
  ctx: ScenarioContext,
  pair: Pick<BatchPubSubRecord, "batch" | "publisher" | "subscriber">,
): Promise<BatchPubSubRecord> {
  const count = ctx.options.pubsubCount;
  const record: BatchPubSubRecord = {
    ...pair,
    count,
    sent: 0,
    received: 0,
    lost: 0,
    msgsPerSec: 0,
    publisherMsgsPerSec: 0,
    subscriberCpuSeconds: 0,
  };
  // Unlimited HWMs: the runs measure speed, and losses would only say the default HWM is small.
  const hwm = 0;
  let pub: Proc | undefined;
  let sub: Proc | undefined;
  try {
    pub =
      pair.publisher === "zpb"
        ? ctx.registry.forkRole("zpb-publisher", { hwm, count, batch: pair.batch })
        : ctx.registry.forkRole("publisher", { hwm, count });
    const endpoint = String((await pub.next("ready", 20_000)).info.endpoint);
    const subConfig = { endpoint, hwm, count, idleMs: 2000 };
    sub = ctx.registry.forkRole(pair.subscriber === "zpb" ? "zpb-subscriber" : "subscriber", subConfig);
    await sub.next("ready", 20_000);
    pub.send({ type: "go" });
    const budget = ctx.options.durationMs * 4 + 30_000;
    const sent = (await pub.next("result", budget)).data as PublisherResult;
    const got = (await sub.next("result", budget)).data as SubscriberResult;
    Object.assign(record, {
      sent: sent.sent,
      received: got.received,
      lost: got.lost,
      msgsPerSec: Math.round(got.msgsPerSec),
      publisherMsgsPerSec: Math.round(sent.msgsPerSec),
      subscriberCpuSeconds: Math.round(got.cpuSeconds * 1000) / 1000,
    });
  } catch (err) {
    record.error = messageOf(err);
  } finally {
    await Promise.all([sub?.stop(3000), pub?.stop(3000)]);
  }
  return record;
}
