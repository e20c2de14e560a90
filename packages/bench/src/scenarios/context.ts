import type { BenchOptions } from "../options.js";
import type { Progress } from "../progress.js";
import type { ProcessRegistry } from "../procs.js";
import type { BenchResult } from "../result.js";

/** What every scenario gets: options, the process registry, progress, the abort signal, the result to fill. */
export interface ScenarioContext {
  options: BenchOptions;
  registry: ProcessRegistry;
  progress: Progress;
  /** Aborted by the scenario's watchdog or by Ctrl-C: start nothing new. */
  signal: AbortSignal;
  serverCli: string | undefined;
  /** The compiled native load client, when it built. */
  nativeClient?: string | undefined;
  /** The compiled native ROUTER peer, when it built (and was not left out). */
  nativeRouter?: string | undefined;
  result: BenchResult;
}

/** Formats a rate for one-line summaries: 71234 → "71.2k". */
export function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

/** The error's message (first line for ours, full text otherwise). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Ends the current progress step of a run that failed (or was skipped: our server not built); returns the error text. */
export function endFailedRun(ctx: ScenarioContext, err: unknown): string {
  const message = messageOf(err);
  ctx.progress.end(
    (err as { code?: unknown }).code === "SERVER_UNAVAILABLE"
      ? "skipped (server not built)"
      : `FAILED: ${message.split("\n")[0]}`,
  );
  return message;
}
