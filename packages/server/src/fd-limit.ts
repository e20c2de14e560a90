// The open-file limit decides how many connections the server can hold: every TCP peer is a file
// descriptor, and once they run out libzmq's listener spins on a failing accept() (100 % of a core, new
// clients shut out) until one frees. We cannot raise the limit from Node; we can say so at start.
import { readFileSync } from "node:fs";

/** Below this soft limit the server warns at start. */
export const LOW_FD_LIMIT = 4096;

/** The soft and hard "Max open files" of this process (Linux /proc), or undefined where unknown. */
export function openFileLimit(limitsText?: string): { soft: number; hard: number } | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return undefined;
    }
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (match === null) return undefined;
  const value = (field: string): number => (field === "unlimited" ? Number.POSITIVE_INFINITY : Number(field));
  return { soft: value(match[1]!), hard: value(match[2]!) };
}

/** The warning to log at start, or undefined when the limit is high enough (or unknown). */
export function fdLimitWarning(limit = openFileLimit()): string | undefined {
  if (limit === undefined || limit.soft >= LOW_FD_LIMIT) return undefined;
  const raise = limit.hard > limit.soft ? ` (the hard limit allows ${limit.hard}: \`ulimit -n ${limit.hard}\`)` : "";
  return (
    `the open-file limit is ${limit.soft}: at most about ${limit.soft - 64} clients can connect before accepts fail; ` +
    `raise it to ${LOW_FD_LIMIT} or more${raise}, or LimitNOFILE= under systemd`
  );
}
