import { execSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Builds dist/ (lib + zpb bin) with the package's own build script, so child-process tests run the code under
 * test, not a stale bundle.
 */
export default function setup(): void {
  const { scripts } = JSON.parse(readFileSync(join(import.meta.dirname, "package.json"), "utf8")) as {
    scripts: { build: string };
  };
  execSync(scripts.build, { cwd: import.meta.dirname, stdio: "inherit" });
}
