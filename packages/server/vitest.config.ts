import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

// Real sockets and real worker threads: the tests run against the built dist/ (turbo builds before test),
// in forked processes (never vitest threads: the zeromq addon and worker teardown do not mix with them).
export default defineConfig({
  // What scripts/build-package.mjs inlines into the build, so code run from source sees the same.
  define: { __ZPB_VERSION__: JSON.stringify(version) },
  test: {
    include: ["src/**/*.spec.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
