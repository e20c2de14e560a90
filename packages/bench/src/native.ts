// The native programs — the load client (native/load.c) and the "libzmq native" ROUTER peer
// (native/router.c) — compiled at bench time with the system's C compiler against libzmq, into
// native/build/ (git-ignored). When `cc` or libzmq's headers are missing the bench says so in
// one line and uses the JS client only (and shows no native server row).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_DIR } from "./servers.js";

/** The native programs, by the name of their source in native/. */
export type NativeProgram = "load" | "router";
/** Where they are compiled to. */
export const NATIVE_BUILD_DIR = join(PACKAGE_DIR, "native", "build");

/** The outcome of a build: the binary's path, or why there is none. */
export type NativeBuild = { ok: true; binary: string; built: boolean } | { ok: false; reason: string };

/**
 * Compiles native/<program>.c unless an up-to-date binary is there (`cc -O2 … -lzmq`; $CC
 * overrides cc). Never throws: a missing compiler or libzmq comes back as `{ ok: false, reason }`.
 */
export function buildNative(program: NativeProgram, outDir = NATIVE_BUILD_DIR): NativeBuild {
  const source = join(PACKAGE_DIR, "native", `${program}.c`);
  const binary = join(outDir, program);
  try {
    const newestInput = Math.max(...[source, join(PACKAGE_DIR, "native", "varint.h")].map((p) => statSync(p).mtimeMs));
    if (existsSync(binary) && statSync(binary).mtimeMs >= newestInput) return { ok: true, binary, built: false };
    mkdirSync(outDir, { recursive: true });
    const cc = process.env.CC || "cc";
    execFileSync(cc, ["-O2", "-Wall", "-o", binary, source, "-lzmq"], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 60_000,
    });
    return { ok: true, binary, built: true };
  } catch (err) {
    return { ok: false, reason: buildFailure(err) };
  }
}

function buildFailure(err: unknown): string {
  const e = err as { code?: string; stderr?: Buffer; message?: string };
  if (e.code === "ENOENT") return `no C compiler (${process.env.CC || "cc"}) on PATH`;
  const stderr = e.stderr?.toString() ?? "";
  if (/zmq\.h/.test(stderr)) return "libzmq headers missing (Debian: apt-get install libzmq3-dev)";
  if (/-lzmq|lzmq/.test(stderr)) return "libzmq library missing (Debian: apt-get install libzmq3-dev)";
  const first = stderr.split("\n").find((l) => l.trim()) ?? e.message ?? String(err);
  return `cc failed: ${first.trim().slice(0, 200)}`;
}
