import { cpus, availableParallelism, loadavg, release, totalmem } from "node:os";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { version as libzmqVersion } from "zeromq";
import type { MachineInfo } from "./result.js";
import { PACKAGE_DIR } from "./servers.js";

/** The version of package `name` as Node would resolve it from `fromDir` (walks up node_modules). */
export function packageVersion(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, "node_modules", name, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    if (dirname(dir) === dir) return "not found";
  }
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall back to what Node says
  }
  return cpus()[0]?.model ?? "unknown";
}

/** CPU, cores, memory, kernel, Node and the versions of every library the comparison rests on. */
export function machineInfo(): MachineInfo {
  const protoDir = realpathSync(join(PACKAGE_DIR, "node_modules", "@zpb", "proto"));
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    availableParallelism: availableParallelism(),
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    libs: {
      zeromq: packageVersion("zeromq", PACKAGE_DIR),
      libzmq: libzmqVersion,
      protobufjs: packageVersion("protobufjs", protoDir),
      piscina: packageVersion("piscina", PACKAGE_DIR),
      "@grpc/grpc-js": packageVersion("@grpc/grpc-js", PACKAGE_DIR),
      "@grpc/proto-loader": packageVersion("@grpc/proto-loader", PACKAGE_DIR),
      "hdr-histogram-js": packageVersion("hdr-histogram-js", PACKAGE_DIR),
      echarts: packageVersion("echarts", PACKAGE_DIR),
    },
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
