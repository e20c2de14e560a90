import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The CLI and exit tests run the bundled dist/: build it once before any test file.
    globalSetup: ["./vitest.global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
