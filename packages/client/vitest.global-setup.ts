import { execFileSync } from "node:child_process";

/** Builds dist/ (lib + zpb bin) so child-process tests run the code under test, not a stale bundle. */
export default function setup(): void {
  execFileSync(process.execPath, ["../../scripts/build-package.mjs", "src/index.ts", "--bin", "src/cli.ts"], {
    cwd: import.meta.dirname,
    stdio: "inherit",
  });
}
