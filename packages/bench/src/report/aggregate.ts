import type { BenchResult, ServerKind, ThroughputRecord } from "../result.js";

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

/** The cell of one configuration, or undefined when the run did not include it. */
export function cell(
  result: BenchResult,
  scenario: ThroughputRecord["scenario"],
  server: ServerKind,
  window: number,
  workers?: number,
): ThroughputCell | undefined {
  const records = result.throughput.filter(
    (r) => r.scenario === scenario && r.server === server && r.window === window && (workers === undefined || r.workers === workers),
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
  const values = result.throughput.filter((r) => r.scenario === scenario && (server === undefined || r.server === server)).map((r) => r[key]);
  return [...new Set(values)].sort((a, b) => a - b);
}

/** a ÷ b, or null when either is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0 || a === 0) return null;
  return a / b;
}
