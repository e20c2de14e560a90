import { defineConfig } from "vitest/config";

// Real sockets and real worker threads: the tests run against the built dist/ (turbo builds before test),
// in forked processes (never vitest threads: the zeromq addon and worker teardown do not mix with them).
export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts", "test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
