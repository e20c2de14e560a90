// PUB/SUB fan-out across hosts: publishers on one host and subscribers on another meet at a forwarder
// (`zpb forward`, libzmq's XSUB→XPUB proxy) on a third; every subscriber gets every message of every
// publisher, in order per topic, and counts loss by seq exactly as with a direct PUB→SUB.
import { afterEach, describe, expect, it } from "vitest";
import { ZPB_CLI, missingBuilds } from "../client/support.js";
import { Network, NETNS_SKIP, type Host } from "../support/netns.js";

const COUNT = 2000;

describe.skipIf(NETNS_SKIP !== undefined)("zpb forward across hosts (network namespaces)", () => {
  let network: Network | undefined;
  afterEach(async () => {
    await network?.destroy();
    network = undefined;
  });

  it("two publishers on one host reach two subscribers on another through a forwarder on a third", async () => {
    expect(missingBuilds()).toBeUndefined();
    network = Network.create(3);
    const [hub, subscribers, publishers] = network.hosts as [Host, Host, Host];
    const inbound = `tcp://${hub.address}:6001`;
    const outbound = `tcp://${hub.address}:6002`;
    const forwarder = network.run(hub, [ZPB_CLI, "forward", inbound, outbound]);
    await forwarder.waitFor("forwarding: publishers connect to");

    // Publishers first, so each subscriber's subscription reaches them as it is made (counted once each).
    const publish = (topic: string) =>
      network!.run(
        publishers,
        [
          ZPB_CLI,
          "publish",
          "--connect",
          "-e",
          inbound,
          "--topic",
          topic,
          "--count",
          String(COUNT),
          "--wait-subscribers",
          "2",
          "--timeout",
          "20000",
          "--json",
        ],
        60_000,
      );
    const pubs = [publish("A"), publish("B")];
    await Promise.all(pubs.map((p) => p.waitFor("publishing on")));
    const subscribe = () =>
      network!.run(
        subscribers,
        [
          ZPB_CLI,
          "subscribe",
          "-e",
          outbound,
          "--topic",
          "A",
          "--topic",
          "B",
          "--count",
          String(2 * COUNT),
          "--quiet",
          "--timeout",
          "10000",
          "--json",
        ],
        60_000,
      );
    const subs = [subscribe(), subscribe()];
    for (const p of pubs) {
      const ended = await p.done;
      expect(ended.code, ended.stderr).toBe(0);
    }
    for (const sub of subs) {
      const ended = await sub.done;
      expect(ended.code, ended.stderr).toBe(0);
      const summary = JSON.parse(ended.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
      expect(summary).toMatchObject({ type: "summary", received: 2 * COUNT, gaps: 0, lost: 0, outOfOrder: 0 });
    }
    expect((await forwarder.stop()).code).toBe(0);
  });
});
