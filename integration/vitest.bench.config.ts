import { defineConfig } from "vitest/config";

// The scale-out bench (src/hosts/hosts.bench-run.ts): real processes in network namespaces; not part of `test`.
export default defineConfig({
  test: {
    include: ["src/**/*.bench-run.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
