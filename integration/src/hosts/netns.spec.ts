// The multi-host harness itself: hosts reach each other over the bridge and only there, a partition cuts a
// host off, and destroy() leaves no namespace and no process behind.
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { Network, NETNS_SKIP } from "../support/netns.js";

const LISTEN = (address: string) =>
  `require("node:net").createServer((s) => s.end("hello from ${address}")).listen(4000, "${address}", () => console.log("listening"))`;
const CONNECT = (address: string) =>
  `const s = require("node:net").connect({ host: "${address}", port: 4000, timeout: 1000 });
   s.setEncoding("utf8").on("data", (d) => { console.log(d); process.exit(0); });
   s.on("timeout", () => { console.log("timeout"); process.exit(2); });
   s.on("error", (e) => { console.log(e.code); process.exit(1); });`;
const links = () =>
  execFileSync("ip", ["-o", "link"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.split(":")[1]?.trim())
    .filter(Boolean);
const namespaces = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });

describe.skipIf(NETNS_SKIP !== undefined)("network namespaces (192.0.2.0/24)", () => {
  let network: Network | undefined;
  afterEach(async () => {
    await network?.destroy();
    network = undefined;
  });

  it("hosts talk over the bridge, the machine's namespace is untouched, destroy removes everything", async () => {
    const linksBefore = links();
    network = Network.create(2);
    const [a, b] = network.hosts as [NonNullable<(typeof network.hosts)[0]>, NonNullable<(typeof network.hosts)[0]>];
    expect([a.address, b.address]).toEqual(["192.0.2.1", "192.0.2.2"]);
    const server = network.run(a, ["-e", LISTEN(a.address)]);
    await server.waitFor("listening");
    const client = await network.run(b, ["-e", CONNECT(a.address)], 10_000).done;
    expect(client.stdout.trim()).toBe("hello from 192.0.2.1");
    // Every link lives inside the network's own namespaces: the machine's namespace is unchanged.
    expect(links()).toEqual(linksBefore);

    const names = network.hosts.map((h) => h.namespace);
    await network.destroy();
    expect(server.running).toBe(false);
    for (const name of names) expect(namespaces()).not.toContain(name);
  });

  it("a partitioned host is unreachable until healed", async () => {
    network = Network.create(2);
    const [a, b] = network.hosts as [NonNullable<(typeof network.hosts)[0]>, NonNullable<(typeof network.hosts)[0]>];
    await network.run(a, ["-e", LISTEN(a.address)]).waitFor("listening");
    network.partition(a);
    const cut = await network.run(b, ["-e", CONNECT(a.address)], 10_000).done;
    expect(cut.stdout.trim()).not.toContain("hello");
    network.heal(a);
    const healed = await network.run(b, ["-e", CONNECT(a.address)], 10_000).done;
    expect(healed.stdout.trim()).toBe("hello from 192.0.2.1");
  });
});
