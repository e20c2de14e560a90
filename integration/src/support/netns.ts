// Hosts for multi-host topology tests: Linux network namespaces on one machine, joined by a bridge, with
// addresses from 192.0.2.0/24 (TEST-NET-1, RFC 5737: reserved for documentation, never routed). Everything
// a Network creates lives in namespaces it created itself (the bridge too, in a "switch" namespace), so the
// machine's own network is never touched; destroy() removes them all, and a process exit removes them too.
// Processes run in a host with `ip netns exec` (which execs in place: the PID we hold is the program's own)
// and are killed by that PID on teardown.
import { execFileSync } from "node:child_process";
import { platform } from "node:os";
import { Child } from "@zpb/test-support";

const SUBNET_PREFIX = "192.0.2.";
const SUBNET_BITS = 24;
/** Set to "skip" to skip the namespace tests on a root machine that cannot create namespaces (a plain container). */
const OPT_OUT = "ZPB_NETNS";

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Why the namespace tests cannot run here, or undefined when they can. Not root, not Linux, or an explicit
 * ZPB_NETNS=skip skip them; as root on Linux a missing `ip` or a refused `ip netns add` is a failure (CI runs
 * as root and must run them), reported when the Network is created.
 */
export function netnsUnavailable(): string | undefined {
  if (process.env[OPT_OUT] === "skip") return `${OPT_OUT}=skip`;
  if (platform() !== "linux") return `network namespaces need Linux (this is ${platform()})`;
  if (process.getuid?.() !== 0) return "network namespaces need root (ip netns add); run the tests as root";
  return undefined;
}

/** Why this run skips the namespace tests (printed once per test file that imports this), or undefined. */
export const NETNS_SKIP = netnsUnavailable();
if (NETNS_SKIP !== undefined) console.warn(`skipping the network-namespace tests: ${NETNS_SKIP}`);

/** One host: a namespace with one interface on the bridge and one address. */
export interface Host {
  /** The namespace's name. */
  readonly namespace: string;
  /** Its address on the test network (192.0.2.x). */
  readonly address: string;
  /** The switch-side end of its link; `partition()` takes it down. */
  readonly port: string;
}

/** A process running inside a host's namespace: @zpb/test-support's Child (bounded, killed by PID). */
export type HostProcess = Child;

let networks = 0;
const live = new Set<Network>();
process.once("exit", () => {
  for (const network of live) network.destroySync();
});

/**
 * `hosts` namespaces on one bridge. The test's own process stays in the machine's namespace; it reaches the
 * hosts only through the processes it runs in them.
 */
export class Network {
  readonly hosts: Host[] = [];
  private readonly switchNamespace: string;
  private readonly namespaces: string[] = [];
  private readonly processes = new Set<HostProcess>();

  private constructor(readonly name: string) {
    this.switchNamespace = `${name}-sw`;
  }

  /** Creates the switch namespace with its bridge and `hostCount` hosts (192.0.2.1, .2, …); cleans up if any step fails. */
  static create(hostCount: number): Network {
    const network = new Network(`zpb${process.pid}n${++networks}`);
    live.add(network);
    try {
      network.build(hostCount);
    } catch (error) {
      network.destroySync();
      const text = error instanceof Error ? error.message : String(error);
      throw new Error(
        `cannot create network namespaces (as root: is iproute2 installed, may this container create namespaces? ${OPT_OUT}=skip skips these tests): ${text}`,
        { cause: error },
      );
    }
    return network;
  }

  private build(hostCount: number): void {
    const sw = this.switchNamespace;
    this.addNamespace(sw);
    ip("-n", sw, "link", "add", "br0", "type", "bridge");
    ip("-n", sw, "link", "set", "br0", "up");
    for (let i = 1; i <= hostCount; i++) {
      const namespace = `${this.name}-h${i}`;
      const port = `p${i}`;
      this.addNamespace(namespace);
      ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace);
      ip("-n", sw, "link", "set", port, "master", "br0");
      ip("-n", sw, "link", "set", port, "up");
      const address = `${SUBNET_PREFIX}${i}`;
      ip("-n", namespace, "addr", "add", `${address}/${SUBNET_BITS}`, "dev", "eth0");
      ip("-n", namespace, "link", "set", "eth0", "up");
      ip("-n", namespace, "link", "set", "lo", "up");
      this.hosts.push({ namespace, address, port });
    }
  }

  private addNamespace(namespace: string): void {
    ip("netns", "add", namespace);
    this.namespaces.push(namespace);
  }

  /** Runs `node args…` inside `host`, bounded by `boundMs`; killed on destroy() if still running. */
  run(host: Host, args: string[], boundMs = 120_000): HostProcess {
    // `ip netns exec` execs the program in place: the PID the Child holds is the program's own.
    const child = new Child(["netns", "exec", host.namespace, process.execPath, ...args], {
      command: "ip",
      boundMs,
      longLived: true, // ended by destroy(), with the namespace
    });
    this.processes.add(child);
    void child.done.finally(() => this.processes.delete(child)).catch(() => {});
    return child;
  }

  /** Cuts `host` off the network (its link goes down, its processes keep running): a partition, not a crash. */
  partition(host: Host): void {
    ip("-n", this.switchNamespace, "link", "set", host.port, "down");
  }

  /** Reconnects a host cut off by partition(). */
  heal(host: Host): void {
    ip("-n", this.switchNamespace, "link", "set", host.port, "up");
  }

  /** Kills every process this network started (SIGKILL, by PID), waits for them, then removes every namespace. */
  async destroy(): Promise<void> {
    const running = [...this.processes];
    for (const child of running) child.kill("SIGKILL");
    await Promise.all(running.map((child) => child.done.catch(() => undefined)));
    this.destroySync();
  }

  /** Removes the namespaces (a namespace with a process still inside stays until that process ends). */
  destroySync(): void {
    for (const child of this.processes) child.kill("SIGKILL");
    for (const namespace of this.namespaces.splice(0).reverse()) {
      try {
        ip("netns", "del", namespace);
      } catch {
        // already gone
      }
    }
    live.delete(this);
  }
}
