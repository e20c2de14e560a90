// The built zpb CLI and node fixtures as child processes, through @zpb/test-support's Child (bounded life,
// killed by PID, `killChildrenAfterEach()` as the safety net).
import { fileURLToPath } from "node:url";
import { Child, type Ended } from "@zpb/test-support";

export const ZPB = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** Starts `node script ...args`; the process is killed (by its PID) if it runs past `boundMs`. */
export function start(script: string, args: string[], boundMs = 15_000): Child {
  return new Child([script, ...args], { boundMs });
}

/** Runs the built `zpb` with `args` to completion. */
export function zpb(args: string[], boundMs?: number): Promise<Ended> {
  return start(ZPB, args, boundMs).done;
}

/** Parses NDJSON output. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
