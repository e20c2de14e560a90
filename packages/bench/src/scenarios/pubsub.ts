// Scenario 4: PUB process → SUB process, messages/s received and messages lost, per HWM.
import type { PubSubRecord, PublisherResult, SubscriberResult } from "../result.js";
import type { Proc } from "../procs.js";
import { messageOf, rate, type ScenarioContext } from "./context.js";

/** One run per HWM setting; the subscriber is known subscribed (it saw a hello) before "go". */
export async function runPubSub(ctx: ScenarioContext): Promise<void> {
  const o = ctx.options;
  for (const hwmSetting of o.pubsubHwms) {
    if (ctx.signal.aborted) return;
    const hwm = hwmSetting === "default" ? null : hwmSetting;
    ctx.progress.begin(`pubsub hwm=${hwmSetting === 0 ? "unlimited" : hwmSetting}`);
    const record: PubSubRecord = {
      hwm: hwmSetting,
      count: o.pubsubCount,
      sent: 0,
      received: 0,
      lost: 0,
      lostPercent: 0,
      gaps: 0,
      msgsPerSec: 0,
      publisherMsgsPerSec: 0,
    };
    let pub: Proc | undefined;
    let sub: Proc | undefined;
    try {
      pub = ctx.registry.forkRole("publisher", { hwm, count: o.pubsubCount });
      const endpoint = String((await pub.next("ready", 20_000)).info.endpoint);
      sub = ctx.registry.forkRole("subscriber", { endpoint, hwm, count: o.pubsubCount, idleMs: 2000 });
      await sub.next("ready", 20_000);
      pub.send({ type: "go" });
      const budget = o.durationMs * 4 + 30_000;
      const sent = (await pub.next("result", budget)).data as PublisherResult;
      const got = (await sub.next("result", budget)).data as SubscriberResult;
      Object.assign(record, {
        sent: sent.sent,
        received: got.received,
        lost: got.lost,
        lostPercent: Math.round((got.lost / Math.max(1, sent.sent)) * 10_000) / 100,
        gaps: got.gaps,
        msgsPerSec: Math.round(got.msgsPerSec),
        publisherMsgsPerSec: Math.round(sent.msgsPerSec),
      });
      ctx.progress.end(
        `${rate(record.msgsPerSec)} msg/s received, lost ${record.lost} (${record.lostPercent}%), ${record.gaps} gaps`,
      );
    } catch (err) {
      record.error = messageOf(err);
      ctx.progress.end(`FAILED: ${record.error.split("\n")[0]}`);
    } finally {
      await Promise.all([sub?.stop(3000), pub?.stop(3000)]);
    }
    ctx.result.pubsub.push(record);
  }
}
