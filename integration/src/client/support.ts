// The zpb binary (packages/client) for the CLI end-to-end tests, run from its built dist/; the server and
// process handling are shared with the other cross-package tests (../support/processes.ts).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run, type Ended } from "@zpb/test-support";
import { SERVER_CLI, packageDir } from "../support/processes.js";

export { Child, freePort, type Ended } from "@zpb/test-support";
export { ServerProcess, SERVER_CLI } from "../support/processes.js";
export const ZPB_CLI = join(packageDir("@zpb/client"), "dist", "cli.js");

/** Why these tests cannot run (a dist/ not built), or undefined. They fail with it rather than skip. */
export function missingBuilds(): string | undefined {
  const missing = [SERVER_CLI, ZPB_CLI].filter((path) => !existsSync(path));
  return missing.length === 0
    ? undefined
    : `not built: ${missing.join(", ")}; run \`npx -y pnpm@10 turbo run build --filter=@zpb/server... --filter=@zpb/client...\``;
}

/** Runs `zpb <args>` to its end, bounded. */
export function zpb(args: string[], boundMs = 20_000): Promise<Ended> {
  return run([ZPB_CLI, ...args], { boundMs });
}
