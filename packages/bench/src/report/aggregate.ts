import type { BenchResult, ClientKind, ServerKind, ThroughputRecord } from "../result.js";

/** A record's load client ("js" for files written before the native client existed). */
export function clientOf(r: ThroughputRecord): ClientKind {
  return r.client ?? "js";
}

/** Client kinds present in a scenario, native first (the table's and the targets' order). */
export function clientsIn(result: BenchResult, scenario: ThroughputRecord["scenario"]): ClientKind[] {
  const present = new Set(result.throughput.filter((r) => r.scenario === scenario).map(clientOf));
  return (["native", "js"] as ClientKind[]).filter((k) => present.has(k));
}

/**
 * The client whose rows the targets judge: the native one when it has a successful run in the
 * scenario (it costs the server no CPU to speak of), else the JS one.
 */
export function preferredClient(result: BenchResult, scenario: ThroughputRecord["scenario"]): ClientKind {
  return result.throughput.some((r) => r.scenario === scenario && clientOf(r) === "native" && r.error === undefined)
    ? "native"
    : "js";
}

/** Repeats of one (scenario, server, workers, window) folded together. */
export interface ThroughputCell {
  /** Median msgs/s of the successful repeats (0 when none succeeded). */
  msgsPerSec: number;
  /** Lost + duplicate replies over every repeat. */
  lost: number;
  /** Repeats that lost or duplicated anything. */
  runsWithLoss: number;
  runs: number;
  clientCpuShare: number;
  error?: string;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The cell of one configuration, or undefined when the run did not include it. `client` picks the
 * load client's rows (any when omitted); grpc-js is only ever driven by its own client, so it
 * ignores `client`.
 */
export function cell(
  result: BenchResult,
  scenario: ThroughputRecord["scenario"],
  server: ServerKind,
  window: number,
  workers?: number,
  client?: ClientKind,
): ThroughputCell | undefined {
  const records = result.throughput.filter(
    (r) =>
      r.scenario === scenario &&
      r.server === server &&
      r.window === window &&
      (workers === undefined || r.workers === workers) &&
      (client === undefined || server === "grpc" || clientOf(r) === client),
  );
  if (records.length === 0) return undefined;
  const ok = records.filter((r) => r.error === undefined);
  return {
    msgsPerSec: Math.round(median(ok.map((r) => r.msgsPerSec))),
    lost: records.reduce((n, r) => n + r.lost + r.duplicates, 0),
    runsWithLoss: records.filter((r) => r.lost + r.duplicates > 0).length,
    runs: records.length,
    clientCpuShare: Math.max(0, ...ok.map((r) => r.clientCpuShare)),
    ...(ok.length === 0 ? { error: records[0]!.error } : {}),
  };
}

/** Distinct values of a field over the throughput records of a scenario, sorted. */
export function distinct<K extends "window" | "workers">(
  result: BenchResult,
  scenario: ThroughputRecord["scenario"],
  key: K,
  server?: ServerKind,
): number[] {
  const values = result.throughput
    .filter((r) => r.scenario === scenario && (server === undefined || r.server === server))
    .map((r) => r[key]);
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * a ÷ b, or null when either is missing or b is 0 (nothing to compare against). An `a` of 0 — ours measured
 * nothing, or every repeat failed — is a ratio of 0, so a target judged on it reads NOT MET, never "no data".
 */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0) return null;
  return a / b;
}
