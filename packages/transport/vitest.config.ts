import { defineConfig } from "vitest/config";

// Real sockets (tcp://127.0.0.1 and inproc://): every test is bounded, generously, so a hang fails the run instead
// of stalling it. Keep vitest's default pool ('forks'): the zeromq addon and worker-thread teardown do not mix with
// 'threads'. close.spec.ts runs a fixture that imports the built package: turbo's `test` builds it first.
export default defineConfig({
  test: {
    include: ["src/**/*.spec.ts"],
    testTimeout: 20_000,
    hookTimeout: 10_000,
    teardownTimeout: 10_000,
  },
});
