// zpb-proto-gen as a command: usage, argument errors, the declared bin, and what it writes.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const generator = join(packageDir, "bin", "zpb-proto-gen.mjs");
const scratch = mkdtempSync(join(tmpdir(), "zpb-proto-gen-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs zpb-proto-gen from the package folder, as `pnpm exec zpb-proto-gen ...` would. */
function generate(...args: string[]) {
  return spawnSync(process.execPath, [generator, ...args], { cwd: packageDir, encoding: "utf8", timeout: 60_000 });
}

describe("zpb-proto-gen", () => {
  it("writes ESM static code and declarations named after the .proto, under its own roots key", () => {
    const out = join(scratch, "weather");
    const run = generate("src/test-support/weather", out);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("weather.js");
    const js = readFileSync(join(out, "weather.js"), "utf8");
    expect(js).toContain('import $protobuf from "protobufjs/minimal.js"');
    expect(js).toContain('$protobuf.roots["weather"]');
    const dts = readFileSync(join(out, "weather.d.ts"), "utf8");
    expect(dts).toMatch(/namespace weather/);
    expect(dts).toMatch(/class Reading/);
    expect(dts).toMatch(/atMs\?: \(number\|Long\|null\)/);
  }, 60_000);

  it("takes --name and --root, and warns when protobufjs does not resolve from the output folder", () => {
    const run = generate(
      "--name",
      "readings",
      "--root",
      "my-readings",
      "src/test-support/weather",
      join(scratch, "elsewhere"),
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('"protobufjs/minimal.js" does not resolve');
    expect(readFileSync(join(scratch, "elsewhere", "readings.js"), "utf8")).toContain('$protobuf.roots["my-readings"]');
  }, 60_000);

  it("--help prints the usage and exits 0", () => {
    const run = generate("--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: zpb-proto-gen/);
  });

  it("a missing folder, an empty folder or an unknown option exits 2 with the usage", () => {
    for (const args of [["no-such-dir"], ["--bogus"], ["a", "b", "c", "d"]]) {
      const run = generate(...args);
      expect(run.status, args.join(" ")).toBe(2);
      expect(run.stderr).toContain("Usage: zpb-proto-gen");
    }
    const empty = generate("bin");
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain("no .proto files under");
  });

  it("the bin is declared in package.json and points at the generator", () => {
    const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
    expect(pkg.bin["zpb-proto-gen"]).toBe("./bin/zpb-proto-gen.mjs");
    expect(existsSync(join(packageDir, pkg.bin["zpb-proto-gen"]))).toBe(true);
    expect(readFileSync(generator, "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    execFileSync(generator, ["--help"], { cwd: packageDir, timeout: 60_000 }); // executable bit set
  });
});
