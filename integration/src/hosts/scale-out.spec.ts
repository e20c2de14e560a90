// One service on many hosts, each host a network namespace running real processes: a front that worker
// hosts join (`zpb-server --backend`, `--join`), and clients spread over several servers (`zpb dealer -e A
// -e B`). What must hold: every request a client sends is answered, or failed in a way the client sees;
// a host that dies is routed around; a host that comes back is used again.
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { within } from "@zpb/test-support";
import { writeCertificates } from "@zpb/transport";
import { afterEach, describe, expect, it } from "vitest";
import { SERVER_CLI, ZPB_CLI, missingBuilds } from "../client/support.js";
import { type HostProcess, Network, NETNS_SKIP, type Host } from "../support/netns.js";

const HEARTBEAT_MS = 200;
const SERVICE_PORT = 7000;
const BACKEND_PORT = 7001;

/** The last JSON line a `zpb … --json` run printed (its summary). */
function summaryOf(output: string): Record<string, number | string | boolean> {
  const lines = output
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"));
  return JSON.parse(lines.at(-1) ?? "{}") as Record<string, number | string | boolean>;
}

/** Requests a server process served, from the counters it logs on SIGUSR2 / at stop ("requests N, …"). */
function servedBy(process: HostProcess): number {
  const counts = [...process.stdout.matchAll(/requests (\d+), replies/g)].map((m) => Number(m[1]));
  return counts.at(-1) ?? 0;
}

const COMMON_ARGS = ["--stats-interval", "0", "--host-heartbeat", String(HEARTBEAT_MS)];

// --insecure: the test network is private and these servers speak plaintext (no CURVE keys here).
const server = (network: Network, host: Host, args: string[]) =>
  network.run(host, [SERVER_CLI, "--insecure", ...COMMON_ARGS, ...args]);

/** Without --insecure: off loopback, zpb-server then insists on CURVE for the service and the host link. */
const secureServer = (network: Network, host: Host, args: string[]) =>
  network.run(host, [SERVER_CLI, ...COMMON_ARGS, ...args]);

/** A front's flags on `host`: the service and the backend hosts join, `workers` local worker threads. */
const frontArgs = (host: Host, workers: number) => [
  "--bind",
  `tcp://${host.address}:${SERVICE_PORT}`,
  "--no-echo",
  "--workers",
  String(workers),
  "--backend",
  `tcp://${host.address}:${BACKEND_PORT}`,
];

const front = (network: Network, host: Host, workers: number): HostProcess =>
  server(network, host, frontArgs(host, workers));

const joiner = (network: Network, host: Host, frontHost: Host) =>
  server(network, host, ["--join", `tcp://${frontHost.address}:${BACKEND_PORT}`, "--workers", "1"]);

/** `zpb dealer` from `host` against `endpoints`, bounded; its --json summary. */
function dealer(network: Network, host: Host, endpoints: string[], args: string[]): HostProcess {
  const e = endpoints.flatMap((endpoint) => ["-e", endpoint]);
  return network.run(host, [ZPB_CLI, "dealer", ...e, "--json", "--no-progress", ...args], 120_000);
}

/** Stops a server process (SIGTERM) and returns how many requests it served, from its last counters line. */
async function stopAndCount(process: HostProcess): Promise<number> {
  const ended = await process.stop();
  expect(ended.code, process.transcript()).toBe(0);
  return servedBy(process);
}

/**
 * Hosts 1–4 of `network`: a pure router (`--workers 0`: every request crosses the network) on the first, one
 * joined host on each of the next two, both joined; the fourth is for the client.
 */
async function pureRouterAndTwoHosts(network: Network) {
  const [frontHost, a, b, client] = network.hosts as [Host, Host, Host, Host];
  const f = front(network, frontHost, 0);
  await f.waitFor("hosts join on");
  const joined = [joiner(network, a, frontHost), joiner(network, b, frontHost)] as const;
  await f.waitFor(/2 joined/);
  return { f, a, frontHost, client, joined, endpoint: [`tcp://${frontHost.address}:${SERVICE_PORT}`] };
}

describe.skipIf(NETNS_SKIP !== undefined)("scale-out across hosts (network namespaces)", () => {
  let network: Network | undefined;
  let keys: string | undefined;
  afterEach(async () => {
    await network?.destroy();
    network = undefined;
    if (keys !== undefined) await rm(keys, { recursive: true, force: true });
    keys = undefined;
  });

  it("over CURVE: a listed host joins a non-loopback backend and serves CURVE clients; an unlisted one is refused", async () => {
    expect(missingBuilds()).toBeUndefined();
    network = Network.create(4);
    const [frontHost, listedHost, unlistedHost, client] = network.hosts as [Host, Host, Host, Host];
    keys = await mkdtemp(join(tmpdir(), "zpb-netns-curve-"));
    const hostKeys = join(keys, "hosts");
    await mkdir(hostKeys);
    const serverCert = await writeCertificates(keys, "server");
    const listedCert = await writeCertificates(keys, "listed");
    const unlistedCert = await writeCertificates(keys, "unlisted");
    await copyFile(listedCert.publicFile, join(hostKeys, "listed.key"));
    const backend = `tcp://${frontHost.address}:${BACKEND_PORT}`;
    const hostArgs = (cert: { secretFile: string }) => [
      "--join",
      backend,
      "--workers",
      "1",
      "--curve-key",
      cert.secretFile,
      "--server-key",
      serverCert.publicFile,
    ];

    // A pure router: every request crosses the host link, encrypted.
    const f = secureServer(network, frontHost, [
      ...frontArgs(frontHost, 0),
      "--curve-key",
      serverCert.secretFile,
      "--host-keys",
      hostKeys,
    ]);
    await f.waitFor(`hosts join over CURVE: 1 host key(s) from ${hostKeys}`);
    const listed = secureServer(network, listedHost, hostArgs(listedCert));
    await f.waitFor(/1 joined/);

    const unlisted = secureServer(network, unlistedHost, hostArgs(unlistedCert));
    const refused = await within(unlisted.done, "the unlisted host to exit", 20_000);
    expect(refused.code, unlisted.transcript()).toBe(1);
    expect(refused.stdout).toContain(`refused this host's CURVE key ${unlistedCert.publicKey}`);
    await f.waitFor(`refused CURVE host ${unlistedHost.address} with key ${unlistedCert.publicKey}`);

    const endpoint = `tcp://${frontHost.address}:${SERVICE_PORT}`;
    const run = dealer(network, client, [endpoint], ["-c", "3000", "-w", "40", "--server-key", serverCert.publicFile]);
    expect(summaryOf((await run.done).stdout)).toMatchObject({ sent: 3000, received: 3000, lost: 0, errorReplies: 0 });
    expect(await stopAndCount(listed)).toBe(3000); // the one host let in served every request
    await stopAndCount(f);
  });

  it("a front host and two joined hosts serve one client; each host takes a share", async () => {
    expect(missingBuilds()).toBeUndefined();
    network = Network.create(4);
    const [frontHost, a, b, client] = network.hosts as [Host, Host, Host, Host];
    const f = front(network, frontHost, 1);
    await f.waitFor("hosts join on");
    const joiners = [joiner(network, a, frontHost), joiner(network, b, frontHost)];
    await f.waitFor(/2 joined/);
    const run = dealer(network, client, [`tcp://${frontHost.address}:${SERVICE_PORT}`], ["-c", "6000", "-w", "60"]);
    const ended = await run.done;
    expect(summaryOf(ended.stdout)).toMatchObject({ sent: 6000, received: 6000, lost: 0, errorReplies: 0 });
    const served = await Promise.all(joiners.map(stopAndCount));
    const local = await stopAndCount(f);
    for (const share of served) expect(share).toBeGreaterThan(300);
    expect(local + served[0]! + served[1]!).toBe(6000);
  });

  it("killing a joined host mid-run loses nothing unseen; with retries every request is served; it rejoins", async () => {
    expect(missingBuilds()).toBeUndefined();
    network = Network.create(4);
    const { f, a, frontHost, client, endpoint, joined } = await pureRouterAndTwoHosts(network);
    const [victim, survivor] = joined;

    // No retries: each request the dead host held must come back as an ErrorReply (CODE_UNAVAILABLE),
    // well within the client's timeout; none may be silently lost.
    const strict = dealer(network, client, endpoint, ["-c", "20000", "-w", "40", "--timeout", "10000"]);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // mid-run: it needs several seconds
    expect(strict.running).toBe(true);
    victim.kill("SIGKILL");
    const strictRun = summaryOf((await strict.done).stdout);
    expect(strictRun).toMatchObject({ sent: 20000, lost: 0 });
    expect(Number(strictRun.received) + Number(strictRun.errorReplies)).toBe(20000);
    expect(Number(strictRun.errorReplies)).toBeGreaterThan(0); // what the dead host held, answered for it
    await f.waitFor("lost a joined host");

    // Retries allowed: every request is served, by whichever host is left.
    const safe = await dealer(network, client, endpoint, ["-c", "3000", "-w", "40", "--retries", "3"]).done;
    expect(summaryOf(safe.stdout)).toMatchObject({ sent: 3000, received: 3000, lost: 0, errorReplies: 0 });

    // The host comes back and takes its share again.
    const back = joiner(network, a, frontHost);
    await f.waitFor(/(a host joined[\s\S]*){3}/); // the two at the start, and this one
    const after = await dealer(network, client, endpoint, ["-c", "3000", "-w", "40"]).done;
    expect(summaryOf(after.stdout)).toMatchObject({ received: 3000, lost: 0 });
    expect(await stopAndCount(back)).toBeGreaterThan(100);
    await stopAndCount(survivor);
  });

  it("a partitioned joined host: what it held is answered, the rest served; healed, it rejoins and serves", async () => {
    expect(missingBuilds()).toBeUndefined();
    network = Network.create(4);
    const { f, a, client, endpoint, joined } = await pureRouterAndTwoHosts(network);
    const [cutOff, other] = joined;
    // The client's timeout is far longer than 3 heartbeats (600 ms): an answer must come from the front.
    const run = dealer(network, client, endpoint, ["-c", "20000", "-w", "40", "--timeout", "15000"]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(run.running).toBe(true);
    network.partition(a); // its process and connection live on; nothing gets through
    const summary = summaryOf((await run.done).stdout);
    expect(summary).toMatchObject({ sent: 20000, lost: 0 });
    expect(Number(summary.received) + Number(summary.errorReplies)).toBe(20000);
    await f.waitFor("lost a joined host (no heartbeat");

    network.heal(a); // it notices the silence, reconnects on a fresh socket, and says ready again
    await f.waitFor(/(a host joined[\s\S]*){3}/, 20_000);
    cutOff.kill("SIGUSR2"); // its counters so far
    await cutOff.waitFor(/requests \d+, replies/);
    const before = servedBy(cutOff);
    const after = await dealer(network, client, endpoint, ["-c", "3000", "-w", "40"]).done;
    expect(summaryOf(after.stdout)).toMatchObject({ received: 3000, lost: 0 });
    const [servedByCutOff] = await Promise.all([stopAndCount(cutOff), stopAndCount(other)]);
    expect(servedByCutOff).toBeGreaterThan(before); // it serves again after the partition healed
  });

  it("a client with two server endpoints survives one server's SIGKILL and its restart, and uses it again", async () => {
    expect(missingBuilds()).toBeUndefined();
    network = Network.create(3);
    const [hostA, hostB, client] = network.hosts as [Host, Host, Host];
    const plain = (host: Host) =>
      server(network!, host, ["--bind", `tcp://${host.address}:${SERVICE_PORT}`, "--no-echo", "--workers", "1"]);
    const a = plain(hostA);
    const b = plain(hostB);
    await Promise.all([a.waitFor("zpb server:"), b.waitFor("zpb server:")]);
    const endpoints = [hostA, hostB].map((h) => `tcp://${h.address}:${SERVICE_PORT}`);
    // A long run at a bounded pace, so the kill and the restart both fall inside it.
    const run = dealer(network, client, endpoints, ["-c", "40000", "-w", "10", "--timeout", "500", "--retries", "5"]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(run.running).toBe(true);
    a.kill("SIGKILL");
    await a.done;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const restarted = plain(hostA);
    await restarted.waitFor("zpb server:");
    const ended = await run.done;
    expect(summaryOf(ended.stdout)).toMatchObject({ sent: 40000, received: 40000, lost: 0, errorReplies: 0 });
    expect(await stopAndCount(restarted)).toBeGreaterThan(0); // used again within the same run
    await stopAndCount(b);
  });
});
